/**
 * The API docs page: Swagger UI over /rest-api/openapi.json. Its two files are the edge's static assets
 * (wrangler.toml [assets], copied from swagger-ui-dist by scripts/setup.sh), so the page needs no CDN.
 * Operations and their schemas start expanded: the request and response bodies read without a click.
 */
export const SWAGGER_UI_FILES = ['/swagger-ui/swagger-ui.css', '/swagger-ui/swagger-ui-bundle.js'];

export function docsPage(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,"><!-- else the browser asks for /favicon.ico, a 404 -->
<link rel="stylesheet" href="${SWAGGER_UI_FILES[0]}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${SWAGGER_UI_FILES[1]}"></script>
<script>
SwaggerUIBundle({
  url: '/rest-api/openapi.json',
  dom_id: '#swagger-ui',
  docExpansion: 'full',
  // Bodies as their schema (not an example), nested objects open: PullRecord.bitrates is two levels down.
  defaultModelRendering: 'model',
  defaultModelExpandDepth: 3,
  // The Schemas list at the foot stays folded (Swagger UI loads each on click); opened, it is this deep.
  defaultModelsExpandDepth: 3,
  // null: no badge that would send the document to validator.swagger.io.
  validatorUrl: null,
  // A mark for scripts (tests) that the document was loaded and rendered.
  onComplete: () => { document.body.dataset.docs = 'ready'; },
});
</script>
</body>
</html>
`;
}
