/** A throwaway self-made certificate for a test host (openssl, P-256, two days). */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export function makeCertificate(dir: string, host: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', `/CN=${host}`, '-addext', `subjectAltName=IP:${host},IP:127.0.0.1`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}
