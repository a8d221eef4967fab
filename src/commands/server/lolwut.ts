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
import type { CommandContext } from '../core/context.js';
import type { CommandCode } from '../core/registry.js';

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

/** A canvas of pixels, each a colour (0 = no dot in version 5, a grey level in version 6). */
class Canvas {
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

  /** Bresenham's line from (x1, y1) to (x2, y2). */
  line(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const dx = Math.abs(x2 - x1);
    const dy = Math.abs(y2 - y1);
    const sx = x1 < x2 ? 1 : -1;
    const sy = y1 < y2 ? 1 : -1;
    let err = dx - dy;
    for (;;) {
      this.set(x1, y1, color);
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
  square(x: number, y: number, size: number, angle: number, color: number): void {
    const radius = f32(roundC(f32(size / 1.4142135623)));
    const px: number[] = [];
    const py: number[] = [];
    let k = f32(Math.PI / 4 + angle);
    for (let j = 0; j < 4; j++) {
      px.push(roundC(Math.sin(k) * radius + x));
      py.push(roundC(Math.cos(k) * radius + y));
      k = f32(k + Math.PI / 2);
    }
    for (let j = 0; j < 4; j++) this.line(px[j] as number, py[j] as number, px[(j + 1) % 4] as number, py[(j + 1) % 4] as number, color);
  }
}

// ---- version 5: Schotter ----

/**
 * Georg Nees's Schotter (1968): rows of squares, more and more rotated and displaced going
 * down (the first two rows are straight). The canvas is two pixels per terminal column wide.
 */
function drawSchotter(columns: number, perRow: number, perColumn: number): Canvas {
  const width = columns * 2;
  const padding = width > 4 ? 2 : 0;
  const side = f32((width - padding * 2) / perRow);
  const height = Math.trunc(f32(f32(side * perColumn) + padding * 2));
  const canvas = new Canvas(width, height, 0);
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
      canvas.square(sx, sy, side, angle, 1);
    }
  }
  return canvas;
}

/**
 * Each 2x4 block of pixels becomes one braille character (U+2800 plus the dots' bits), as UTF-8
 * bytes in a latin1 string: dots 0-2 and 6 down the left column, 3-5 and 7 down the right.
 */
function renderBraille(canvas: Canvas): string {
  let text = '';
  for (let y = 0; y < canvas.height; y += 4) {
    let row = '';
    for (let x = 0; x < canvas.width; x += 2) {
      let dots = 0;
      if (canvas.get(x, y)) dots |= 1 << 0;
      if (canvas.get(x, y + 1)) dots |= 1 << 1;
      if (canvas.get(x, y + 2)) dots |= 1 << 2;
      if (canvas.get(x + 1, y)) dots |= 1 << 3;
      if (canvas.get(x + 1, y + 1)) dots |= 1 << 4;
      if (canvas.get(x + 1, y + 2)) dots |= 1 << 5;
      if (canvas.get(x, y + 3)) dots |= 1 << 6;
      if (canvas.get(x + 1, y + 3)) dots |= 1 << 7;
      const code = 0x2800 + dots;
      row += String.fromCharCode(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    }
    text += row;
    // As Redis: a newline after each band but one starting on the last pixel row.
    if (y !== canvas.height - 1) text += '\n';
  }
  return text;
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
  const columns = intArg(args, 1, 66);
  const perRow = intArg(args, 2, 8);
  const perColumn = intArg(args, 3, 12);
  const canvas = drawSchotter(clamp(columns, 1, 1000), clamp(perRow, 1, 200), clamp(perColumn, 1, 200));
  ctx.reply.verbatim(`${renderBraille(canvas)}\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ${NODIS_VERSION}\n`);
}

// ---- version 6: a skyline ----

interface Skyscraper {
  xoff: number;
  width: number;
  height: number;
  windows: boolean;
  color: number;
}

/** One building standing on the bottom row, its roof two pixels narrower on each side. */
function drawSkyscraper(canvas: Canvas, s: Skyscraper): void {
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
function drawSkyline(canvas: Canvas): void {
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

function renderColors(canvas: Canvas): string {
  const cells = GREYS.map((g) => `\x1b[${g} \x1b[0m`);
  const rows: string[] = [];
  for (let y = 0; y < canvas.height; y++) {
    let row = '';
    for (let x = 0; x < canvas.width; x++) row += cells[canvas.get(x, y)] ?? cells[0];
    rows.push(row);
  }
  return rows.join('\n');
}

/** LOLWUT 6 [columns (80)] [rows (20)]. */
function lolwut6(ctx: CommandContext, args: readonly string[]): void {
  const columns = intArg(args, 1, 80);
  const rows = intArg(args, 2, 20);
  const canvas = new Canvas(clamp(columns, 1, 1000), clamp(rows, 1, 1000), 3);
  drawSkyline(canvas);
  ctx.reply.verbatim(
    `${renderColors(canvas)}\nDedicated to the 8 bit game developers of past and present.\n` +
      `Original 8 bit image from Plaguemon by hikikomori. Redis ver. ${NODIS_VERSION}\n`,
  );
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
