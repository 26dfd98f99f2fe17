/**
 * Reading a QR code off the terminal: half-block text (as `files serve --qr`
 * prints it) rendered to a PGM image and decoded with zbarimg (zbar-tools).
 *
 * @module
 */

const encoder = new TextEncoder();

/** Renders half-block lines to a PGM image (`scale` pixels per module; blocks are light). */
export function halfBlocksToPgm(lines: string[], scale = 4): Uint8Array {
  const width = Math.max(...lines.map((l) => [...l].length)) * scale;
  const height = lines.length * 2 * scale;
  const pixels = new Uint8Array(width * height);
  lines.forEach((line, row) => {
    [...line].forEach((ch, col) => {
      const top = ch === "█" || ch === "▀";
      const bottom = ch === "█" || ch === "▄";
      for (let dy = 0; dy < 2 * scale; dy++) {
        const light = dy < scale ? top : bottom;
        const start = (row * 2 * scale + dy) * width + col * scale;
        pixels.fill(light ? 255 : 0, start, start + scale);
      }
    });
  });
  const head = encoder.encode(`P5 ${width} ${height} 255\n`);
  const image = new Uint8Array(head.length + pixels.length);
  image.set(head);
  image.set(pixels, head.length);
  return image;
}

/** What zbarimg reads in `lines` (null: no code found). */
export async function decodeHalfBlocks(lines: string[]): Promise<string | null> {
  const path = await Deno.makeTempFile({ suffix: ".pgm" });
  try {
    await Deno.writeFile(path, halfBlocksToPgm(lines));
    const { code, stdout } = await new Deno.Command("zbarimg", {
      args: ["-q", "--raw", path],
      stdout: "piped",
      stderr: "null",
    }).output();
    return code === 0 ? new TextDecoder().decode(stdout).replace(/\n$/, "") : null;
  } finally {
    await Deno.remove(path);
  }
}
