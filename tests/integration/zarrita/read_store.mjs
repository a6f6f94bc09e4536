// The Zarr v3 side of the interop oracle: zarrita (an independent reader, npm) opens a
// store and prints what it reads as one JSON document for oracle.py to compare.
//
// usage: node read_store.mjs STORE
// prints {"attributes": root attrs, "consolidated": [array paths listed by the root's
// consolidated metadata], "arrays": {name: {"shape", "dtype", "chunks" (as zarrita
// reports them: the inner chunk shape, also for a sharded array), "fill_value", "attributes", "dimension_names",
// "zarr_json" (the array's own zarr.json), "consolidated" (its entry in the root's
// consolidated metadata), "values" (C order)}}}.
// Each array is opened twice: through the consolidated metadata and from its own
// zarr.json; values are read through the latter. Numbers JSON cannot hold are strings:
// "NaN", "Infinity", "-Infinity"; 64-bit integers beyond 2^53 are decimal strings.
// zarrita does not check a shard index's crc32c: oracle.py does.
import * as zarr from "zarrita";
import FileSystemStore from "@zarrita/storage/fs";

function plain(value) {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value === "number" && !Number.isFinite(value)) {
    return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  }
  return value;
}

async function readJson(store, key) {
  const bytes = await store.get(key);
  return bytes === undefined ? null : JSON.parse(new TextDecoder().decode(bytes));
}

async function readArray(raw, listed, path) {
  const viaConsolidated = await zarr.open.v3(zarr.root(listed).resolve(path), { kind: "array" });
  const arr = await zarr.open.v3(zarr.root(raw).resolve(path), { kind: "array" });
  // zarrita's get fails on an array with a zero-length dim ("an empty iterator"): it has
  // no values to read.
  const empty = arr.shape.some((n) => n === 0);
  const chunk = empty ? { data: [] } : await zarr.get(arr);
  const rootDoc = await readJson(raw, "/zarr.json");
  return {
    shape: arr.shape,
    dtype: arr.dtype,
    chunks: arr.chunks,
    fill_value: arr.fillValue,
    attributes: arr.attrs,
    dimension_names: arr.dimensionNames ?? null,
    same_via_consolidated:
      JSON.stringify([viaConsolidated.shape, viaConsolidated.dtype, viaConsolidated.chunks, viaConsolidated.attrs]) ===
      JSON.stringify([arr.shape, arr.dtype, arr.chunks, arr.attrs]),
    zarr_json: await readJson(raw, `${path}/zarr.json`),
    consolidated: rootDoc?.consolidated_metadata?.metadata?.[path.slice(1)] ?? null,
    values: Array.from(chunk.data ?? [chunk]),
  };
}

async function main(dir) {
  const raw = new FileSystemStore(dir);
  const listed = await zarr.withConsolidatedMetadata(raw, { format: "v3" });
  const group = await zarr.open.v3(zarr.root(raw), { kind: "group" });
  const out = { attributes: group.attrs, consolidated: [], arrays: {} };
  for (const { path, kind } of listed.contents()) {
    if (kind !== "array") continue;
    out.consolidated.push(path.slice(1));
    out.arrays[path.slice(1)] = await readArray(raw, listed, path);
  }
  out.consolidated.sort();
  process.stdout.write(JSON.stringify(out, (_key, value) => plain(value)));
}

if (process.argv.length !== 3) {
  process.stderr.write("usage: node read_store.mjs STORE\n");
  process.exit(2);
}
main(process.argv[2]).catch((err) => {
  process.stderr.write(`zarrita: ${err?.stack ?? err}\n`);
  process.exit(1);
});
