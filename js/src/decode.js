// Decoding the image widget's binary traits: the zlib-compressed superpixel map and the encoded photo /
// hide-colour images, into typed arrays at display size. No drawing and no widget state here.

/**
 * The bytes of a `Bytes` trait (a DataView in anywidget) as a Uint8Array view, without copying.
 * @param {DataView|ArrayBuffer|Uint8Array|null|undefined} data
 * @returns {Uint8Array}
 */
export function bytesOf(data) {
  if (!data) return new Uint8Array(0);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/**
 * Inflate zlib-compressed bytes (Python's `zlib.compress`) with the browser's DecompressionStream.
 * @param {Uint8Array} compressed
 * @returns {Promise<Uint8Array>}
 */
export async function inflate(compressed) {
  if (typeof DecompressionStream !== "function") {
    throw new Error("this browser has no DecompressionStream: cannot decode the segment map");
  }
  const stream = new DecompressionStream("deflate");
  const writer = stream.writable.getWriter();
  // Write and close without awaiting: the reader below drains the stream, so no back-pressure stall.
  const written = writer.write(compressed).then(() => writer.close());
  written.catch(() => {});
  const reader = stream.readable.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.byteLength;
  }
  await written;
  const result = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    result.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return result;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decode the `segment_map` trait: zlib-compressed little-endian uint16 superpixel positions, row-major,
 * at display size.
 *
 * @param {DataView|Uint8Array} data
 * @param {number} width
 * @param {number} height
 * @returns {Promise<Uint16Array>} One superpixel position per pixel.
 */
export async function decodeSegmentMap(data, width, height) {
  const raw = await inflate(bytesOf(data));
  const expected = width * height * 2;
  if (raw.byteLength !== expected) {
    throw new Error(
      `segment map has ${raw.byteLength} bytes after decompression, expected ${expected} ` +
        `(${width} x ${height} uint16)`,
    );
  }
  if (LITTLE_ENDIAN) return new Uint16Array(raw.buffer, raw.byteOffset, width * height);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const positions = new Uint16Array(width * height);
  for (let i = 0; i < positions.length; i += 1) positions[i] = view.getUint16(2 * i, true);
  return positions;
}

/** Decode an encoded image (JPEG/PNG bytes) into RGBA pixels at the given size, or null without 2D. */
export async function decodePixels(data, format, width, height) {
  const bytes = bytesOf(data);
  if (bytes.byteLength === 0) return null;
  const blob = new Blob([bytes], { type: format === "png" ? "image/png" : "image/jpeg" });
  const scratch = document.createElement("canvas");
  scratch.width = width;
  scratch.height = height;
  const context = get2dContext(scratch);
  if (!context) return null;
  let source;
  if (typeof createImageBitmap === "function") source = await createImageBitmap(blob);
  else {
    const url = URL.createObjectURL(blob);
    try {
      source = new Image();
      source.src = url;
      await source.decode();
    } finally {
      URL.revokeObjectURL(url);
    }
  }
  context.drawImage(source, 0, 0, width, height);
  source.close?.();
  return context.getImageData(0, 0, width, height).data;
}

/** A 2D context, or null where canvas is not implemented (e.g. a DOM emulator in tests). */
export function get2dContext(canvas) {
  try {
    return canvas.getContext?.("2d") ?? null;
  } catch {
    return null;
  }
}
