// Times zarrita opening a store and reading every array's metadata, as a reader does before
// it reads any chunk (benchmarks/bench.py's "metadata open" table; not a test oracle).
//
// usage: node open_metadata.mjs STORE consolidated|arrays
//   consolidated  the root's consolidated metadata (v3: the root zarr.json's
//                 consolidated_metadata; v2: .zmetadata), then every array it lists opened
//                 through it (no further reads)
//   arrays        no consolidated metadata: list the root folder, then open every child that
//                 is an array from its own documents (v3: zarr.json; v2: .zarray and .zattrs)
// The format is the store's: v3 if the root has a zarr.json, else v2.
// prints {"format", "mode", "arrays": count, "ms": milliseconds from before the first read
// to the last array opened (module loading and node's start-up excluded), "docs": the
// metadata documents read}
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import * as zarr from "zarrita";
import FileSystemStore from "@zarrita/storage/fs";

// Counts the documents read, so the table can say what each mode costs in file reads.
// (Range reads pass through: zarrita wants them from the store of a sharded array.)
function counting(store) {
  const counted = {
    docs: 0,
    get: async (key, opts) => {
      const bytes = await store.get(key, opts);
      if (bytes !== undefined) counted.docs += 1;
      return bytes;
    },
    getRange: (key, range, opts) => store.getRange(key, range, opts),
  };
  return counted;
}

async function isFile(path) {
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}

async function consolidated(raw, format) {
  const store = await zarr.withConsolidatedMetadata(raw, { format });
  const arrays = [];
  for (const { path, kind } of store.contents()) {
    if (kind === "array") arrays.push(await zarr.open[format](zarr.root(store).resolve(path), { kind: "array" }));
  }
  return arrays;
}

async function perArray(raw, dir, format) {
  const doc = format === "v3" ? "zarr.json" : ".zarray";
  const arrays = [];
  for (const name of (await readdir(dir)).sort()) {
    if (!(await isFile(join(dir, name, doc)))) continue;
    arrays.push(await zarr.open[format](zarr.root(raw).resolve(name), { kind: "array" }));
  }
  return arrays;
}

async function main(dir, mode) {
  const format = (await isFile(join(dir, "zarr.json"))) ? "v3" : "v2";
  const raw = counting(new FileSystemStore(dir));
  const t0 = performance.now();
  const arrays = mode === "consolidated" ? await consolidated(raw, format) : await perArray(raw, dir, format);
  const ms = performance.now() - t0;
  if (arrays.length === 0) throw new Error(`no arrays found in ${dir} (${mode})`);
  process.stdout.write(JSON.stringify({ format, mode, arrays: arrays.length, ms, docs: raw.docs }) + "\n");
}

const [dir, mode] = process.argv.slice(2);
if (process.argv.length !== 4 || !["consolidated", "arrays"].includes(mode)) {
  process.stderr.write("usage: node open_metadata.mjs STORE consolidated|arrays\n");
  process.exit(2);
}
main(dir, mode).catch((err) => {
  process.stderr.write(`zarrita: ${err?.stack ?? err}\n`);
  process.exit(1);
});
