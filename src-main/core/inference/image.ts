// Image preprocessing for a vision encoder: decode with sharp, resize to the encoder's square input,
// normalise per channel, and lay out as [C, H, W] float32.
import sharp from 'sharp';
import type { z } from 'zod';
import type { ImageSettings } from '../../../src-shared/manifest';
import { UserError } from '../errors';

export async function preprocessImage(input: Buffer, s: z.infer<typeof ImageSettings>, label = 'image'): Promise<Float32Array> {
  let raw: Buffer;
  try {
    let img = sharp(input, { failOn: 'error' }).flatten({ background: '#ffffff' }).resize(s.size, s.size, { fit: 'fill' });
    img = s.channels === 1 ? img.grayscale() : img.toColourspace('srgb');
    raw = await img.raw().toBuffer();
  } catch (e) {
    throw new UserError(`${label}: not a readable image (${(e as Error).message})`);
  }
  const hw = s.size * s.size;
  const channelsIn = raw.length / hw;
  const out = new Float32Array(s.channels * hw);
  for (let c = 0; c < s.channels; c++) {
    const mean = s.mean[Math.min(c, s.mean.length - 1)];
    const std = s.std[Math.min(c, s.std.length - 1)];
    for (let i = 0; i < hw; i++) out[c * hw + i] = (raw[i * channelsIn + Math.min(c, channelsIn - 1)] / 255 - mean) / std;
  }
  return out;
}
