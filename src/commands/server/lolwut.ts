/**
 * LOLWUT [VERSION <version>] [version-specific arguments]: a piece of computer art and the
 * server version, as Redis 7.0 draws it. Redis picks the art by version: 5 (and 4.9) draws Georg
 * Nees's "Schotter" in braille characters, 6 (and 5.9) a city skyline in terminal colours, and
 * any other version, its own 7.0 included, only names the version. Both pieces use C's rand(),
 * seeded at random when Redis starts: nodis draws them with the same geometry (single-precision
 * float arithmetic included) from its own random numbers, so the deterministic parts (the first
 * two rows of Schotter, every dimension) come out as Redis's do byte for byte.
 */
import { RedisError, ERR_NOT_INTEGER } from '../../errors.js';
import { NODIS_VERSION } from '../../version.js';
import { getLongLong, parseLongLongBig } from '../../util/parse.js';
import type { CommandCode, CommandContext } from '../core/context.js';

/** C's rand(): an integer in [0, RAND_MAX]. */
const RAND_MAX = 2147483647;
function rand(): number {
  return Math.floor(Math.random() * (RAND_MAX + 1));
}

/** C's round(): halves away from zero (Math.round takes them up). */
function roundC(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

const f32 = Math.fround;

/**
 * Schotter's canvas, stored as the braille characters it is drawn with: one byte per 2x4 block
 * of pixels holding that block's dots, so a pixel is one bit and rendering reads each byte once.
 * The width (two pixels per terminal column) is always even; a last band of fewer than four
 * rows keeps the missing rows' dots off, as Redis reads pixels outside the canvas.
 */
class DotCanvas {
  readonly cellsPerRow: number;
  readonly bands: number;
  readonly cells: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.cellsPerRow = width >> 1;
    this.bands = Math.ceil(height / 4);
    this.cells = new Uint8Array(this.cellsPerRow * this.bands);
  }

  /** Puts a dot; drawing outside the canvas is ignored. */
  set(x: number, y: number): void {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return;
    const cell = (y >> 2) * this.cellsPerRow + (x >> 1);
    this.cells[cell] = (this.cells[cell] as number) | (BRAILLE_DOT[((x & 1) << 2) | (y & 3)] as number);
  }

  /** Bresenham's line from (x1, y1) to (x2, y2). */
  line(x1: number, y1: number, x2: number, y2: number): void {
    const dx = Math.abs(x2 - x1);
    const dy = Math.abs(y2 - y1);
    const sx = x1 < x2 ? 1 : -1;
    const sy = y1 < y2 ? 1 : -1;
    let err = dx - dy;
    for (;;) {
      this.set(x1, y1);
      if (x1 === x2 && y1 === y2) break;
      const e2 = err * 2;
      if (e2 > -dy) {
        err -= dy;
        x1 += sx;
      }
      if (e2 < dx) {
        err += dx;
        y1 += sy;
      }
    }
  }

  /**
   * A square of side `size` centred on (x, y), turned by `angle` radians: its corners are points
   * of the circumscribed circle, 90 degrees apart from 45 degrees plus the angle. `size` and
   * `angle` are C floats, and the arithmetic keeps their single precision where Redis's does.
   */
  square(x: number, y: number, size: number, angle: number): void {
    const radius = f32(roundC(f32(size / 1.4142135623)));
    const px: number[] = [];
    const py: number[] = [];
    let k = f32(Math.PI / 4 + angle);
    for (let j = 0; j < 4; j++) {
      px.push(roundC(Math.sin(k) * radius + x));
      py.push(roundC(Math.cos(k) * radius + y));
      k = f32(k + Math.PI / 2);
    }
    for (let j = 0; j < 4; j++) this.line(px[j] as number, py[j] as number, px[(j + 1) % 4] as number, py[(j + 1) % 4] as number);
  }
}

/**
 * The bit of a braille character for the pixel at (x & 1, y & 3), indexed (x & 1) * 4 + (y & 3):
 * dots 0-2 and 6 down the left column, 3-5 and 7 down the right.
 */
const BRAILLE_DOT = [1 << 0, 1 << 1, 1 << 2, 1 << 6, 1 << 3, 1 << 4, 1 << 5, 1 << 7];

// ---- version 5: Schotter ----

/**
 * The largest Schotter canvas nodis draws. Redis clamps the arguments (1000 columns, 200 squares
 * per row and per column) but not their product: 1000 columns of one square per row and 200 per
 * column is a 2000x399204-pixel canvas and a 300 MB reply, seconds of a blocked server that any
 * client could ask for. 64M pixels is an 8 MB canvas here and a reply of at most 24 MB; every
 * picture a terminal can show is far below it (the default is 132x196 pixels, and 1000 columns
 * with 200 squares per row and per column is 2000x2000), so only a tall, narrow stack of huge
 * squares (more than 16 times as many squares per column as per row at 1000 columns) is refused.
 */
const MAX_SCHOTTER_PIXELS = 64 * 1024 * 1024;

/** The canvas of Schotter: `columns` terminal columns, two pixels each, and its squares' height. */
function schotterSize(columns: number, perRow: number, perColumn: number): { width: number; height: number; padding: number; side: number } {
  const width = columns * 2;
  const padding = width > 4 ? 2 : 0;
  const side = f32((width - padding * 2) / perRow);
  const height = Math.trunc(f32(f32(side * perColumn) + padding * 2));
  return { width, height, padding, side };
}

/**
 * Georg Nees's Schotter (1968): rows of squares, more and more rotated and displaced going
 * down (the first two rows are straight).
 */
function drawSchotter(canvas: DotCanvas, padding: number, side: number, perRow: number, perColumn: number): void {
  const half = f32(side / 2);
  for (let y = 0; y < perColumn; y++) {
    for (let x = 0; x < perRow; x++) {
      let sx = Math.trunc(f32(f32(f32(x * side) + half) + padding));
      let sy = Math.trunc(f32(f32(f32(y * side) + half) + padding));
      let angle = 0;
      if (y > 1) {
        const randomShare = (): number => f32(f32(f32(f32(rand()) / f32(RAND_MAX)) / perColumn) * y);
        let r1 = randomShare();
        let r2 = randomShare();
        let r3 = randomShare();
        if (rand() % 2) r1 = -r1;
        if (rand() % 2) r2 = -r2;
        if (rand() % 2) r3 = -r3;
        angle = r1;
        sx = Math.trunc(f32(sx + f32(f32(r2 * side) / 3)));
        sy = Math.trunc(f32(sy + f32(f32(r3 * side) / 3)));
      }
      canvas.square(sx, sy, side, angle);
    }
  }
}

/**
 * Each 2x4 block of pixels becomes one braille character (U+2800 plus the dots' bits), three
 * bytes of UTF-8, written straight into the reply's bytes with `footer` after them.
 */
function renderBraille(canvas: DotCanvas, footer: string): Buffer {
  const { cellsPerRow, bands, cells, height } = canvas;
  // As Redis: a newline after each band but one starting on the last pixel row.
  const newlines = (height - 1) % 4 === 0 ? bands - 1 : bands;
  const out = Buffer.allocUnsafe(cells.length * 3 + newlines + footer.length);
  let p = 0;
  let cell = 0;
  for (let band = 0; band < bands; band++) {
    for (const end = cell + cellsPerRow; cell < end; cell++) {
      const dots = cells[cell] as number;
      out[p++] = 0xe2;
      out[p++] = 0xa0 | (dots >> 6);
      out[p++] = 0x80 | (dots & 0x3f);
    }
    if (band * 4 !== height - 1) out[p++] = 10;
  }
  out.latin1Write(footer, p);
  return out;
}

/** An optional integer argument of LOLWUT 5/6. */
function intArg(args: readonly string[], index: number, fallback: number): number {
  return index < args.length ? getLongLong(args[index] as string) : fallback;
}

function clamp(v: number, min: number, max: number): number {
  return v < min ? min : v > max ? max : v;
}

/** LOLWUT 5 [columns (66)] [squares per row (8)] [squares per column (12)]. */
function lolwut5(ctx: CommandContext, args: readonly string[]): void {
  // Each argument is parsed (and may fail) before any is clamped, as in Redis.
  const columns = clamp(intArg(args, 1, 66), 1, 1000);
  const perRow = clamp(intArg(args, 2, 8), 1, 200);
  const perColumn = clamp(intArg(args, 3, 12), 1, 200);
  const { width, height, padding, side } = schotterSize(columns, perRow, perColumn);
  if (width * height > MAX_SCHOTTER_PIXELS) {
    throw new RedisError(
      `ERR LOLWUT 5 canvas of ${width}x${height} pixels exceeds the ${MAX_SCHOTTER_PIXELS} nodis draws: use more squares per row or fewer per column`,
    );
  }
  const canvas = new DotCanvas(width, height);
  drawSchotter(canvas, padding, side, perRow, perColumn);
  ctx.reply.verbatimBuffer(renderBraille(canvas, `\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ${NODIS_VERSION}\n`));
}

// ---- version 6: a skyline ----

/** The skyline's canvas: one grey level (0 black to 3 white) per pixel, one terminal cell each. */
class GreyCanvas {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: number,
  ) {
    this.pixels = new Uint8Array(width * height).fill(background);
  }

  /** Drawing outside the canvas is ignored. */
  set(x: number, y: number, color: number): void {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return;
    this.pixels[x + y * this.width] = color;
  }

  /** Outside the canvas reads as 0. */
  get(x: number, y: number): number {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return 0;
    return this.pixels[x + y * this.width] as number;
  }
}

interface Skyscraper {
  xoff: number;
  width: number;
  height: number;
  windows: boolean;
  color: number;
}

/** One building standing on the bottom row, its roof two pixels narrower on each side. */
function drawSkyscraper(canvas: GreyCanvas, s: Skyscraper): void {
  const starty = canvas.height - 1;
  const endy = starty - s.height + 1;
  for (let y = starty; y >= endy; y--) {
    for (let x = s.xoff; x < s.xoff + s.width; x++) {
      if (y === endy && (x <= s.xoff + 1 || x >= s.xoff + s.width - 2)) continue;
      let color = s.color;
      // Windows, two pixels wide and one tall, away from the walls, lit in one of the greys.
      if (s.windows && x > s.xoff + 1 && x < s.xoff + s.width - 2 && y > endy + 1 && y < starty - 1) {
        const relx = x - (s.xoff + 1);
        const rely = y - (endy + 1);
        if (Math.trunc(relx / 2) % 2 && rely % 2) {
          do {
            color = 1 + (rand() % 2);
          } while (color === s.color);
          if (relx % 2) color = canvas.get(x - 1, y);
        }
      }
      canvas.set(x, y, color);
    }
  }
}

/** Two rows of window-less buildings in the greys (lighter behind), then black ones with windows. */
function drawSkyline(canvas: GreyCanvas): void {
  const h = canvas.height;
  for (let color = 2; color >= 1; color--) {
    for (let offset = -10; offset < canvas.width; ) {
      offset += rand() % 8;
      const width = 10 + (rand() % 9);
      const height = Math.trunc(h / 2) + Math.trunc((rand() % h) / (color === 2 ? 2 : 3));
      drawSkyscraper(canvas, { xoff: offset, width, height, windows: false, color });
      offset += color === 2 ? Math.trunc(width / 2) : width + 1;
    }
  }
  for (let offset = -10; offset < canvas.width; ) {
    offset += rand() % 8;
    let width = 5 + (rand() % 14);
    if (width % 4) width += width % 3;
    const height = Math.trunc(h / 3) + Math.trunc((rand() % h) / 2);
    drawSkyscraper(canvas, { xoff: offset, width, height, windows: true, color: 0 });
    offset += width + 5;
  }
}

/** The four greys of a colour terminal, foreground and background alike: black to white. */
const GREYS = ['0;30;40m', '0;90;100m', '0;37;47m', '0;97;107m'];

/** Each grey as the bytes of one terminal cell: a space in that colour, then the colours reset. */
const GREY_CELLS = GREYS.map((g) => Buffer.from(`\x1b[${g} \x1b[0m`, 'latin1'));

/** One cell per pixel, rows joined by newlines, written straight into the reply's bytes with `footer` after them. */
function renderColors(canvas: GreyCanvas, footer: string): Buffer {
  const { pixels, width, height } = canvas;
  let size = height - 1 + footer.length;
  for (let i = 0; i < pixels.length; i++) size += (GREY_CELLS[pixels[i] as number] as Buffer).length;
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  for (let y = 0, i = 0; y < height; y++) {
    if (y > 0) out[p++] = 10;
    for (const end = i + width; i < end; i++) {
      const cell = GREY_CELLS[pixels[i] as number] as Buffer;
      for (let j = 0; j < cell.length; j++) out[p++] = cell[j] as number;
    }
  }
  out.latin1Write(footer, p);
  return out;
}

/** LOLWUT 6 [columns (80)] [rows (20)]: at most 1000x1000 cells, a reply of about 17 MB. */
function lolwut6(ctx: CommandContext, args: readonly string[]): void {
  const columns = intArg(args, 1, 80);
  const rows = intArg(args, 2, 20);
  const canvas = new GreyCanvas(clamp(columns, 1, 1000), clamp(rows, 1, 1000), 3);
  drawSkyline(canvas);
  const footer =
    '\nDedicated to the 8 bit game developers of past and present.\n' +
    `Original 8 bit image from Plaguemon by hikikomori. Redis ver. ${NODIS_VERSION}\n`;
  ctx.reply.verbatimBuffer(renderColors(canvas, footer));
}

// ---- the command ----

/**
 * Redis picks the art from the version's first characters: "5." but not "5.9", or "4.9", draws
 * version 5; "6." but not "6.9", or "5.9", version 6. VERSION n is read as a C unsigned int,
 * "n.0.0", and the arguments after it go to the art.
 */
function lolwut(ctx: CommandContext, argv: string[]): void {
  let version = NODIS_VERSION;
  let args: readonly string[] = argv;
  if (argv.length >= 3 && (argv[1] as string).toLowerCase() === 'version') {
    const asked = parseLongLongBig(argv[2] as string);
    if (asked === null) throw new RedisError(ERR_NOT_INTEGER);
    version = `${BigInt.asUintN(32, asked)}.0.0`;
    args = [argv[0] as string, ...argv.slice(3)];
  }
  const [major, dot, minor] = [version[0], version[1], version[2]];
  if ((major === '5' && dot === '.' && minor !== '9') || (major === '4' && dot === '.' && minor === '9')) {
    lolwut5(ctx, args);
  } else if ((major === '6' && dot === '.' && minor !== '9') || (major === '5' && dot === '.' && minor === '9')) {
    lolwut6(ctx, args);
  } else {
    ctx.reply.verbatim(`Redis ver. ${NODIS_VERSION}\n`);
  }
}

export const commands: CommandCode[] = [{ name: 'lolwut', handler: lolwut }];
