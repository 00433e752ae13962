/**
 * The picture size an H.264 sequence parameter set declares (ITU-T H.264 §7.3.2.1.1, cropping by §7.4.2.1.1), for
 * WCS's VIDEO_WIDTH/VIDEO_HEIGHT metrics. Only the fields before the size are read, none after; an SPS that is cut
 * short or malformed gives undefined, never an exception (it comes off the network).
 */

/** High profiles carry chroma format, bit depths and scaling matrices before the size. */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

class BitReader {
  private bit = 0;
  constructor(private readonly bytes: Buffer) {}

  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.bytes[this.bit >> 3];
      if (byte === undefined) throw new RangeError('SPS cut short');
      v = (v << 1) | ((byte >> (7 - (this.bit & 7))) & 1);
      this.bit += 1;
    }
    return v;
  }

  /** Exp-Golomb, unsigned. */
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) if (++zeros > 31) throw new RangeError('bad Exp-Golomb code');
    return (2 ** zeros - 1) + (zeros ? this.u(zeros) : 0);
  }

  se(): number {
    const k = this.ue();
    return k & 1 ? (k + 1) / 2 : -(k / 2);
  }
}

/** The RBSP of a NAL unit: its header byte dropped, emulation prevention bytes (00 00 03) removed. */
function rbsp(nal: Buffer): Buffer {
  const out: number[] = [];
  let zeros = 0;
  for (let i = 1; i < nal.length; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) { zeros = 0; continue; }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** Width and height of the pictures an SPS NAL unit (header byte included) describes. */
export function spsPictureSize(nal: Buffer): { width: number; height: number } | undefined {
  if (nal.length < 4 || (nal[0]! & 0x1f) !== 7) return undefined;
  try {
    const r = new BitReader(rbsp(nal));
    const profile = r.u(8);
    r.u(16); // constraint flags, level
    r.ue(); // seq_parameter_set_id
    let chroma = 1;
    if (HIGH_PROFILES.has(profile)) {
      chroma = r.ue();
      if (chroma === 3) r.u(1);
      r.ue(); r.ue(); r.u(1); // bit depths, transform bypass
      if (r.u(1)) for (let i = 0; i < (chroma === 3 ? 12 : 8); i++) if (r.u(1)) skipScalingList(r, i < 6 ? 16 : 64);
    }
    r.ue(); // log2_max_frame_num_minus4
    const pocType = r.ue();
    if (pocType === 0) r.ue();
    else if (pocType === 1) {
      r.u(1); r.se(); r.se();
      for (let i = r.ue(); i > 0; i--) r.se();
    }
    r.ue(); r.u(1); // max_num_ref_frames, gaps allowed
    const widthMbs = r.ue() + 1;
    const heightUnits = r.ue() + 1;
    const frameMbsOnly = r.u(1);
    if (!frameMbsOnly) r.u(1);
    r.u(1); // direct_8x8_inference
    const crop = r.u(1) ? [r.ue(), r.ue(), r.ue(), r.ue()] : [0, 0, 0, 0];
    const cropX = chroma === 0 || chroma === 3 ? 1 : 2;
    const cropY = (chroma === 1 ? 2 : 1) * (2 - frameMbsOnly);
    const width = widthMbs * 16 - (crop[0]! + crop[1]!) * cropX;
    const height = (2 - frameMbsOnly) * heightUnits * 16 - (crop[2]! + crop[3]!) * cropY;
    return width > 0 && height > 0 ? { width, height } : undefined;
  } catch {
    return undefined; // cut short or not an SPS this parser knows: no size, as if none had come
  }
}
