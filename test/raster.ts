import { spawn } from 'node:child_process';
import { inflateSync } from 'node:zlib';

/** An RGBA image. */
export interface Raster {
  readonly width: number;
  readonly height: number;
  readonly rgba: Buffer;
}

/**
 * Renders an SVG the way a non-browser tool does: librsvg's `rsvg-convert` (Debian `librsvg2-bin`), which
 * resolves no CSS variables and paints no CSS background — what a viewer, a PDF pipeline or a wiki shows.
 */
export function rasterize(svg: string): Promise<Raster> {
  return new Promise((resolve, reject) => {
    const child = spawn('rsvg-convert', ['--format', 'png']);
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) =>
      reject(new Error(`rsvg-convert: ${err.message} (apt-get install librsvg2-bin; .ci/run installs it)`)),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve(decodePng(Buffer.concat(chunks)))
        : reject(new Error(`rsvg-convert exit ${code}: ${stderr}`)),
    );
    child.stdin.end(svg);
  });
}

/** The pixel at (x, y) in SVG user units (rsvg-convert draws one unit per pixel). */
export function pixel(image: Raster, x: number, y: number): [number, number, number, number] {
  const at = (Math.floor(y) * image.width + Math.floor(x)) * 4;
  const [r = 0, g = 0, b = 0, a = 0] = image.rgba.subarray(at, at + 4);
  return [r, g, b, a];
}

/** The box of the first `<rect>` inside the element that `marker` (an attribute, e.g. `data-id="a_stream"`) opens. */
export function rectOf(svg: string, marker: string): { x: number; y: number; width: number; height: number } {
  const from = svg.indexOf(marker);
  const rect = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(svg.slice(from));
  if (from < 0 || rect === null) throw new Error(`no <rect> after ${marker}`);
  return { x: Number(rect[1]), y: Number(rect[2]), width: Number(rect[3]), height: Number(rect[4]) };
}

/** Just enough of PNG for rsvg-convert's output: 8-bit RGBA, not interlaced, the five scanline filters. */
function decodePng(png: Buffer): Raster {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  if (png[24] !== 8 || png[25] !== 6 || png[28] !== 0) throw new Error('expected an 8-bit RGBA PNG, not interlaced');
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += length + 12;
  }
  const data = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const rgba = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y += 1) {
    const filter = data[y * (stride + 1)];
    for (let i = 0; i < stride; i += 1) {
      const raw = data[y * (stride + 1) + 1 + i] ?? 0;
      const left = i >= 4 ? (rgba[y * stride + i - 4] ?? 0) : 0;
      const up = y > 0 ? (rgba[(y - 1) * stride + i] ?? 0) : 0;
      const upLeft = y > 0 && i >= 4 ? (rgba[(y - 1) * stride + i - 4] ?? 0) : 0;
      const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter ?? 0] ?? 0;
      rgba[y * stride + i] = (raw + predictor) & 0xff;
    }
  }
  return { width, height, rgba };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}
