"""The Zarr v3 side of the interop oracle (issue 27). Debian's xarray and zarr cannot read
v3, so the store is read by zarrita (npm, tests/integration/zarrita/, installed by
scripts/setup.sh) through zarrita/read_store.mjs, and the shard indexes, whose crc32c
zarrita does not check, are checked here by an implementation of our own (not zpmpi's).

  zarrita_missing()        why zarrita cannot be used here (None when it can)
  read_with_zarrita(store) what zarrita reads: root attributes, arrays listed by the root's
                           consolidated metadata, per array its metadata and its values as a
                           NumPy array of the array's shape
  check_shards(store)      every shard file of every sharded array: index size, crc32c,
                           offsets within the chunk data, no overlaps; {array: {shard key:
                           number of stored inner chunks}}
  stored_chunks(store, name, meta)  the bytes of every chunk (or inner chunk) stored
  check_v3(source, store, **oracle.check's keywords, shards=..., workdir=...)
                           the whole oracle of oracle.py for a v3 store (below)
  as_v2(store, ...)        the v3 store checked (files, zarr.json, shards) and transcoded into
                           a Zarr v2 store xarray-on-v2 reads as xarray-on-v3 reads the v3 one;
                           for cases that compare xr.open_zarr(store) with an expectation
  v3_attrs(ds)             a dataset's attributes as a v3 store holds them (expectations)
Failures raise Mismatch (oracle.py's) with what differs.

check_v3 reuses oracle.check whole. zarrita reads the store; the store's files are checked
against the v3 spec and the job (check_v3_files: zarr.json documents, codecs as the job's
compressor spells them in v3, consolidated metadata, chunk keys, one file per shard with
data, no temporaries; check_shards); then what zarrita read is written with Debian's
zarr-python 2 into a v2 directory store (transcode: the same arrays, dtypes, shapes, values,
chunks = zarrita's inner chunks, attributes, dims as _ARRAY_DIMENSIONS, consolidated, no
compressor) and oracle.check compares that store with the source. The transcode gives
xarray-on-v2 what xarray-on-v3 (xarray >= 2025 with zarr-python 3) decodes:
  - the mask: xarray-on-v3 takes _FillValue from the "_FillValue" attribute (a float as the
    base64 of its float64 little-endian bytes, an integer as the number), never from
    fill_value; xarray-on-v2 takes it from fill_value. So the v2 fill_value is the decoded
    attribute (none without it), and the attribute itself is not copied.
  - attributes stay as the v3 JSON holds them: a non-finite float is the string "NaN",
    "Infinity" or "-Infinity" (v3 documents are strict JSON; zarr-python 3 writes and reads
    them so), and oracle.check(v3=True) expects that spelling of the source's attributes.
  - a _FillValue no element can hold (NaN on a short) is left out of the v3 store
    (v3_metadata.hpp: xarray's v3 reader would fail on it), so oracle.check(v3=True) does
    not expect it among the raw attributes.
"""
import base64
import itertools
import json
import math
import os
import re
import shutil
import struct
import subprocess
import tempfile

import numpy as np

from oracle import fail

ZARRITA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zarrita")
ZARRITA_VERSION = "0.7.5"
NUMPY_DTYPES = {"int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
                "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
                "float32": np.float32, "float64": np.float64, "string": object}
ABSENT = 2**64 - 1
LITTLE_BYTES = {"name": "bytes", "configuration": {"endian": "little"}}
INDEX_CODECS = [LITTLE_BYTES, {"name": "crc32c"}]
SHUFFLES = ["noshuffle", "shuffle", "bitshuffle"]  # numcodecs' Blosc shuffle 0, 1, 2
ARRAY_KEYS = {"zarr_format", "node_type", "shape", "data_type", "chunk_grid", "chunk_key_encoding", "fill_value",
              "codecs", "attributes", "dimension_names"}
SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def zarrita_missing():
    package = os.path.join(ZARRITA_DIR, "node_modules", "zarrita", "package.json")
    try:
        version = json.load(open(package))["version"]
    except OSError:
        return (f"zarrita is not installed in {ZARRITA_DIR}/node_modules (scripts/setup.sh installs it with "
                "npm; was the npm registry unreachable?)")
    if version != ZARRITA_VERSION:
        return f"zarrita {version} is installed, the oracle is pinned to {ZARRITA_VERSION}: run scripts/setup.sh"
    if subprocess.run(["node", "--version"], capture_output=True).returncode != 0:
        return "node is not on PATH"
    return None


def _number(x):
    """A number as read_store.mjs spells it ("NaN", big integers as decimal strings) back."""
    if not isinstance(x, str):
        return x
    return SPECIAL_FLOATS[x] if x in SPECIAL_FLOATS else int(x)


def read_with_zarrita(store):
    p = subprocess.run(["node", os.path.join(ZARRITA_DIR, "read_store.mjs"), store], capture_output=True,
                       encoding="utf-8", timeout=120, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        fail(f"zarrita cannot read {store}: {p.stderr.strip()}")
    out = json.loads(p.stdout)
    for name, a in out["arrays"].items():
        dtype = NUMPY_DTYPES.get(a["dtype"])
        if dtype is None:
            fail(f"{name}: zarrita reads data type {a['dtype']!r}, which the oracle does not know")
        values = a["values"] if dtype is object else [_number(v) for v in a["values"]]
        a["values"] = np.array(values, dtype=dtype).reshape(a["shape"])
        if dtype is not object:
            a["fill_value"] = _number(a["fill_value"])
    return out


# ---- shard indexes --------------------------------------------------------------------------

def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def shard_index(path, slots):
    """The (offset, nbytes) entries of the shard file `path` of `slots` inner chunks, checked."""
    size, file_size = 16 * slots + 4, os.path.getsize(path)
    if file_size < size:
        fail(f"{path}: {file_size} bytes, shorter than its index ({size} bytes)")
    with open(path, "rb") as f:  # the index alone: a shard of ~1 GiB is not read for it
        f.seek(file_size - size)
        index, data_size = f.read(size), file_size - size
    stored, computed = struct.unpack("<I", index[-4:])[0], crc32c(index[:-4])
    if stored != computed:
        fail(f"{path}: shard index crc32c {stored:#010x}, its bytes give {computed:#010x}")
    entries = [struct.unpack_from("<QQ", index, 16 * s) for s in range(slots)]
    present = []
    for s, (offset, nbytes) in enumerate(entries):
        if (offset, nbytes) == (ABSENT, ABSENT):
            continue
        if ABSENT in (offset, nbytes) or nbytes == 0 or offset + nbytes > data_size:
            fail(f"{path}: inner chunk {s}: offset {offset}, {nbytes} bytes, chunk data {data_size} bytes")
        present.append((offset, nbytes, s))
    present.sort()
    for (o1, n1, s1), (o2, _, s2) in zip(present, present[1:]):
        if o1 + n1 > o2:
            fail(f"{path}: inner chunks {s1} and {s2} overlap")
    return entries


def _sharding(meta):
    codecs = meta["codecs"]
    return codecs[0]["configuration"] if len(codecs) == 1 and codecs[0]["name"] == "sharding_indexed" else None


def shards_of(store, name, meta):
    """(shard key, path, grid index of the shard, inner chunks per shard) of every shard
    position of the sharded array `name` (meta: its zarr.json), present or not."""
    config = _sharding(meta)
    shards, inner = meta["chunk_grid"]["configuration"]["chunk_shape"], config["chunk_shape"]
    per_shard = [s // c for s, c in zip(shards, inner)]
    for index in itertools.product(*[range(-(-n // s)) for n, s in zip(meta["shape"], shards)]):
        key = "/".join(["c", *map(str, index)])
        yield key, os.path.join(store, name, *key.split("/")), index, per_shard


def stored_chunks(store, name, meta):
    """(where, bytes) of every chunk the array stores: a chunk file ("t2m/c/0/1") or an inner
    chunk of a shard ("t2m/c/0/1 [3]", its slot)."""
    if _sharding(meta) is None:
        for directory, _, files in os.walk(os.path.join(store, name)):
            for f in sorted(files):
                path = os.path.join(directory, f)
                if f != "zarr.json" or directory != os.path.join(store, name):
                    yield os.path.relpath(path, store), open(path, "rb").read()
        return
    for key, path, _, per_shard in shards_of(store, name, meta):
        if os.path.exists(path):
            data = open(path, "rb").read()
            for slot, (offset, nbytes) in enumerate(shard_index(path, math.prod(per_shard))):
                if (offset, nbytes) != (ABSENT, ABSENT):
                    yield f"{name}/{key} [{slot}]", data[offset:offset + nbytes]


def check_shards(store):
    found = {}
    for name in sorted(os.listdir(store)):
        doc = os.path.join(store, name, "zarr.json")
        if not os.path.isfile(doc):
            continue
        meta = json.load(open(doc))
        config = _sharding(meta)
        if meta.get("node_type") != "array" or config is None:
            continue
        if config["index_codecs"] != INDEX_CODECS or config.get("index_location", "end") != "end":
            fail(f"{name}: index_codecs {config['index_codecs']}, index_location {config.get('index_location')}")
        found[name] = {}
        for key, path, _, per_shard in shards_of(store, name, meta):
            if os.path.exists(path):
                found[name][key] = sum(e != (ABSENT, ABSENT) for e in shard_index(path, math.prod(per_shard)))
    return found


def _is_fill(values, fill):
    """Whether every element equals `fill` as stored (NaN as NaN, -0.0 is not 0.0)."""
    if values.dtype.kind == "f":
        f = np.array(fill, dtype=values.dtype)
        same = (values == f) | (np.isnan(values) & np.isnan(f))
        return bool(np.all(same & (np.signbit(values) == np.signbit(f))))
    return bool(np.all(values == np.array(fill, dtype=values.dtype)))


def check_inner_chunks(store, name, meta, values):
    """What a sharded array stores, against what zarrita read (`values`): an inner chunk is
    stored only when it lies inside the array and is not entirely fill_value, and a shard
    file exists only when it stores an inner chunk."""
    config = _sharding(meta)
    inner, shape = config["chunk_shape"], meta["shape"]
    fill = _fill_number(name, meta)
    for key, path, index, per_shard in shards_of(store, name, meta):
        if not os.path.exists(path):
            continue
        entries = shard_index(path, math.prod(per_shard))
        if all(e == (ABSENT, ABSENT) for e in entries):
            fail(f"{name}/{key}: a shard file that stores no inner chunk")
        for slot, entry in enumerate(entries):
            if entry == (ABSENT, ABSENT):
                continue
            position = np.unravel_index(slot, per_shard) if per_shard else ()
            start = [(i * p + q) * c for i, p, q, c in zip(index, per_shard, position, inner)]
            box = tuple(slice(s, min(s + c, n)) for s, c, n in zip(start, inner, shape))
            if any(s >= n for s, n in zip(start, shape)):
                fail(f"{name}/{key}: inner chunk {slot} (at {start}) lies beyond the array's shape {shape}, "
                     "yet it is stored")
            if values.dtype != object and _is_fill(values[box], fill):
                fail(f"{name}/{key}: inner chunk {slot} (at {start}) is entirely fill_value {fill!r}, yet it "
                     "is stored")


# ---- zarr.json documents and files ------------------------------------------------------------

def load_strict_json(path):
    """A v3 document: strict JSON (no NaN/Infinity tokens: zarrita's JSON.parse refuses them)."""
    def refuse(token):
        fail(f"{path}: {token} is not JSON (a v3 document is strict JSON; spell it \"{token}\")")
    with open(path, encoding="utf-8") as f:
        return json.load(f, parse_constant=refuse)


def v3_compressor_codecs(compressor, itemsize):
    """The job's compressor (numcodecs' spelling, as in a .zarray; None = none) as the v3
    codecs that follow "bytes", spelled as zarr-python 3 writes them."""
    if compressor is None:
        return []
    kind = compressor["id"]
    if kind == "zstd":
        return [{"name": "zstd", "configuration": {"level": compressor["level"], "checksum": False}}]
    if kind == "gzip":
        return [{"name": "gzip", "configuration": {"level": compressor["level"]}}]
    if kind == "blosc":
        return [{"name": "blosc", "configuration": {
            "cname": compressor["cname"], "clevel": compressor["clevel"], "shuffle": SHUFFLES[compressor["shuffle"]],
            "typesize": itemsize, "blocksize": compressor.get("blocksize", 0)}}]
    raise ValueError(f"no v3 spelling of the compressor {compressor}")


def _fill_number(name, meta):
    """fill_value of a numeric array as a Python number, its spelling checked."""
    fill, dtype = meta["fill_value"], meta["data_type"]
    if dtype == "string":
        if fill != "":
            fail(f"{name}: fill_value {fill!r} of a string array, expected \"\"")
        return fill
    if dtype.startswith("float"):
        if isinstance(fill, str):
            if fill not in SPECIAL_FLOATS:
                fail(f"{name}: fill_value {fill!r} is not a number, \"NaN\", \"Infinity\" or \"-Infinity\"")
            return SPECIAL_FLOATS[fill]
        if isinstance(fill, bool) or not isinstance(fill, (int, float)):
            fail(f"{name}: fill_value {fill!r} of a {dtype} array")
        return float(fill)
    info = np.iinfo(NUMPY_DTYPES[dtype])
    if isinstance(fill, bool) or not isinstance(fill, int) or not info.min <= fill <= info.max:
        fail(f"{name}: fill_value {fill!r} is not an integer of {dtype}")
    return fill


def decoded_fill(name, meta):
    """The "_FillValue" attribute as xarray's v3 reader decodes it (FillValueCoder.decode),
    checked to be a value of the array and fill_value itself; None without the attribute."""
    attrs, dtype = meta["attributes"], meta["data_type"]
    if "_FillValue" not in attrs:
        return None
    raw = attrs["_FillValue"]
    if dtype.startswith("float"):
        try:
            packed = base64.b64decode(raw, validate=True) if isinstance(raw, str) else b""
        except ValueError:
            packed = b""
        if len(packed) != 8:
            fail(f"{name}: _FillValue {raw!r} is not the base64 of 8 float64 bytes (xarray's v3 spelling)")
        value = struct.unpack("<d", packed)[0]
        narrow = np.array(value, dtype=NUMPY_DTYPES[dtype])
        if not (math.isnan(value) or float(narrow) == value):
            fail(f"{name}: _FillValue decodes to {value!r}, which no {dtype} element equals")
    elif dtype == "string" or isinstance(raw, bool) or not isinstance(raw, int):
        fail(f"{name}: _FillValue {raw!r} on a {dtype} array")
    else:
        value = raw
    fill = _fill_number(name, meta)
    if not (fill == value or math.isnan(fill) and math.isnan(value)):
        fail(f"{name}: fill_value {meta['fill_value']!r} differs from its _FillValue attribute ({value!r}): "
             "absent chunks would read as another value than xarray masks")
    return value


def _check_codecs(name, meta, compressor):
    """codecs: [bytes little endian (vlen-utf8 for strings), compressor...], or one
    sharding_indexed holding them; chunk_grid regular. Returns (outer, inner) chunk shapes."""
    dtype = meta["data_type"]
    itemsize = 0 if dtype == "string" else np.dtype(NUMPY_DTYPES[dtype]).itemsize
    first = [{"name": "vlen-utf8", "configuration": {}}, {"name": "vlen-utf8"}] if dtype == "string" else \
        [LITTLE_BYTES] + ([{"name": "bytes"}] if itemsize == 1 else [])
    grid = meta["chunk_grid"]
    if set(grid) != {"name", "configuration"} or grid["name"] != "regular" or \
            set(grid["configuration"]) != {"chunk_shape"}:
        fail(f"{name}: chunk_grid {grid}, expected regular")
    outer = grid["configuration"]["chunk_shape"]
    config = _sharding(meta)
    codecs, inner = (meta["codecs"], outer) if config is None else (config["codecs"], config["chunk_shape"])
    if config is not None:
        want = {"chunk_shape", "codecs", "index_codecs", "index_location"}
        if set(config) != want or config["index_codecs"] != INDEX_CODECS or config["index_location"] != "end":
            fail(f"{name}: sharding_indexed configuration {config}, expected keys {sorted(want)}, index_codecs "
                 f"{INDEX_CODECS}, index_location \"end\"")
    want_tail = v3_compressor_codecs(compressor, itemsize)
    if dtype == "string" and want_tail and want_tail[0]["name"] == "blosc":  # typesize of strings: theirs
        want_tail[0]["configuration"]["typesize"] = codecs[-1].get("configuration", {}).get("typesize")
    if not codecs or codecs[0] not in first or codecs[1:] != want_tail:
        fail(f"{name}: codecs {codecs}, expected {first[0]} then {want_tail}")
    if len(inner) != len(meta["shape"]) or len(outer) != len(meta["shape"]) or \
            any(c <= 0 or o % c for o, c in zip(outer, inner)):
        fail(f"{name}: shards {outer} are not whole multiples of the inner chunks {inner} (shape {meta['shape']})")
    return outer, inner


def check_array_json(name, meta, compressor):
    """One array's zarr.json against the spec and the job; returns (outer, inner) chunks."""
    extra = set(meta) - ARRAY_KEYS - {"storage_transformers"}
    if ARRAY_KEYS - set(meta) or extra or meta.get("storage_transformers", []) != []:
        fail(f"{name}/zarr.json: keys {sorted(meta)}, expected {sorted(ARRAY_KEYS)} (and storage_transformers [])")
    if (meta["zarr_format"], meta["node_type"]) != (3, "array") or meta["data_type"] not in NUMPY_DTYPES:
        fail(f"{name}/zarr.json: zarr_format {meta['zarr_format']}, node_type {meta['node_type']}, data_type "
             f"{meta['data_type']}")
    if meta["chunk_key_encoding"] != {"name": "default", "configuration": {"separator": "/"}}:
        fail(f"{name}: chunk_key_encoding {meta['chunk_key_encoding']}, expected default with separator \"/\"")
    dims = meta["dimension_names"]
    if not isinstance(dims, list) or len(dims) != len(meta["shape"]) or not all(isinstance(d, str) for d in dims):
        fail(f"{name}: dimension_names {dims!r} do not name its {len(meta['shape'])} dims")
    if "_ARRAY_DIMENSIONS" in meta["attributes"]:
        fail(f"{name}: _ARRAY_DIMENSIONS in the attributes of a v3 array (dims are dimension_names)")
    decoded_fill(name, meta)
    return _check_codecs(name, meta, compressor)


def check_root_json(store, arrays):
    """The root zarr.json: a group with the consolidated metadata zarr-python 3 writes, each
    entry equal to the array's own zarr.json. Returns the root document."""
    root = load_strict_json(os.path.join(store, "zarr.json"))
    if set(root) != {"zarr_format", "node_type", "attributes", "consolidated_metadata"} or \
            (root["zarr_format"], root["node_type"]) != (3, "group"):
        fail(f"{store}/zarr.json: keys {sorted(root)}, zarr_format {root.get('zarr_format')}, node_type "
             f"{root.get('node_type')}: expected a v3 group with attributes and consolidated_metadata")
    consolidated = root["consolidated_metadata"]
    if not isinstance(consolidated, dict) or set(consolidated) != {"kind", "must_understand", "metadata"} or \
            consolidated["kind"] != "inline" or consolidated["must_understand"] is not False:
        fail(f"{store}/zarr.json: consolidated_metadata {str(consolidated)[:200]}: expected kind \"inline\", "
             "must_understand false, metadata")
    listed = consolidated["metadata"]
    if sorted(listed) != sorted(arrays):
        fail(f"consolidated metadata lists {sorted(listed)}, the store holds arrays {sorted(arrays)}")
    for name, meta in arrays.items():
        if listed[name] != meta:
            fail(f"consolidated metadata of {name} differs from {name}/zarr.json:\n{listed[name]}\n{meta}")
    return root


def _chunk_keys(store, name):
    """The files below an array directory other than zarr.json, as keys "c/i/j"; a hidden
    file (a temporary) or a directory that is no key level fails."""
    keys = []
    for directory, dirs, files in os.walk(os.path.join(store, name)):
        rel = os.path.relpath(directory, os.path.join(store, name))
        for f in files + dirs:
            if f.startswith("."):
                fail(f"{name}: {os.path.join(rel, f)}: a hidden file (a temporary left behind?)")
        keys += [os.path.normpath(os.path.join(rel, f)) for f in files if not (rel == "." and f == "zarr.json")]
    return sorted(keys)


def check_v3_files(store, compressor):
    """The store's files: root zarr.json (consolidated), one directory with a zarr.json per
    array, chunk (or shard) files with keys "c/i/j/k" inside the grid, nothing hidden but
    .zpmpi/ (the run's statistics). Returns {array: its zarr.json}."""
    if not os.path.isdir(store):
        fail(f"{store}: no store")
    arrays = {}
    for entry in sorted(os.listdir(store)):
        path = os.path.join(store, entry)
        if entry in ("zarr.json", ".zpmpi"):
            continue
        if entry.startswith(".") or not os.path.isfile(os.path.join(path, "zarr.json")):
            fail(f"{store}: unexpected entry {entry!r}")
        arrays[entry] = load_strict_json(os.path.join(path, "zarr.json"))
    check_root_json(store, arrays)
    for name, meta in arrays.items():
        outer, _ = check_array_json(name, meta, compressor)
        grid = [-(-n // c) for n, c in zip(meta["shape"], outer)]
        pattern = re.compile("c" + r"/(\d+)" * len(grid) + "$")
        for key in _chunk_keys(store, name):
            m = pattern.match(key)
            if not m or any(int(i) >= n for i, n in zip(m.groups(), grid)):
                fail(f"{name}: file {key} is not a chunk key of the grid {grid}")
    return arrays


# ---- the oracle -------------------------------------------------------------------------------

def _expected_shards(meta, inner, name, shards):
    """The shard shape the job's "shards" gives (plan/shard_choice.hpp), for arrays under
    1 GiB as the tests' are: a dimension coordinate (1-d, named as its dim) is one chunk;
    "auto" is the whole array; a size along a dim that size (capped to the whole dim in
    chunks); a dim not named one chunk."""
    shape, dims = meta["shape"], meta["dimension_names"]
    whole = [max(-(-n // c), 1) * c for n, c in zip(shape, inner)]
    if dims == [name]:
        return list(inner)
    if shards == "auto":
        return whole
    return [min(shards[d], w) if d in shards else c for d, c, w in zip(dims, inner, whole)]


def check_sharding(name, meta, outer, inner, shards):
    """Sharded as the job asks: `shards` None (not sharded), "auto" or {dim: size}. An array
    whose shard would hold one chunk may be left unsharded (0-d and text arrays are)."""
    sharded = _sharding(meta) is not None
    if shards is None:
        if sharded:
            fail(f"{name}: sharded ({outer}), but the job asks for no shards")
        return
    want = _expected_shards(meta, inner, name, shards)
    if sharded and outer != want or not sharded and want != list(inner):
        fail(f"{name}: {'shards ' + str(outer) if sharded else 'not sharded'}, the job's shards {shards} give "
             f"{want} (inner chunks {inner})")


def transcode(z, arrays, root_attrs, directory):
    """What zarrita read as a Zarr v2 store at `directory` (see the module's doc)."""
    import numcodecs
    import zarr
    group = zarr.open_group(directory, mode="w")
    group.attrs.put(root_attrs)
    for name, meta in arrays.items():
        a = z["arrays"][name]
        attrs = dict(meta["attributes"])
        fill = decoded_fill(name, meta)
        attrs.pop("_FillValue", None)
        attrs["_ARRAY_DIMENSIONS"] = meta["dimension_names"]
        text = a["dtype"] == "string"
        array = group.create_dataset(
            name, shape=tuple(a["shape"]), chunks=tuple(a["chunks"]), dtype=object if text else a["values"].dtype,
            fill_value=None if fill is None else np.array(fill, dtype=a["values"].dtype)[()] if not text else fill,
            compressor=None, write_empty_chunks=True, **({"object_codec": numcodecs.VLenUTF8()} if text else {}))
        if a["values"].size:
            array[...] = a["values"]
        array.attrs.put(attrs)
    zarr.consolidate_metadata(directory)
    return directory


def read_v3(store, compressor="zstd", shards=False):
    """The v3 store read by zarrita and its files checked: (zarrita's read, {array: its
    zarr.json}, root attributes). compressor: the job's, as oracle.check takes it; shards:
    the job's "shards" (None: not sharded; False: not checked)."""
    import oracle
    if isinstance(compressor, str):
        compressor = oracle.COMPRESSOR_NAMES[compressor]
    arrays = check_v3_files(store, compressor)
    z = read_with_zarrita(store)
    root = load_strict_json(os.path.join(store, "zarr.json"))
    if sorted(z["consolidated"]) != sorted(arrays):
        fail(f"zarrita lists {z['consolidated']} in the consolidated metadata, the store holds {sorted(arrays)}")
    if _js(z["attributes"]) != _js(root["attributes"]):
        fail(f"zarrita reads the root attributes {z['attributes']}, zarr.json holds {root['attributes']}")
    check_shards(store)
    for name, meta in arrays.items():
        a = z["arrays"][name]
        outer = meta["chunk_grid"]["configuration"]["chunk_shape"]
        inner = _sharding(meta)["chunk_shape"] if _sharding(meta) else outer
        if a["shape"] != meta["shape"] or a["dtype"] != meta["data_type"] or a["chunks"] != inner or \
                a["dimension_names"] != meta["dimension_names"] or not a["same_via_consolidated"]:
            fail(f"{name}: zarrita reads shape {a['shape']}, {a['dtype']}, chunks {a['chunks']}, dims "
                 f"{a['dimension_names']} (the same through the consolidated metadata: "
                 f"{a['same_via_consolidated']}); zarr.json: {meta}")
        if shards is not False:
            check_sharding(name, meta, outer, inner, shards)
        if _sharding(meta):
            check_inner_chunks(store, name, meta, a["values"])
    return z, arrays, root["attributes"]


def _js(value):
    """A JSON value as JavaScript's JSON.parse holds it (integers beyond 2^53 as doubles)."""
    if isinstance(value, dict):
        return {k: _js(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_js(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return float(value)
    return value


def as_v2(store, workdir=None, compressor="zstd", shards=False):
    """The v3 `store`, checked (read_v3), transcoded into a v2 store in a new directory
    below `workdir` (a temporary directory when None); returns its path."""
    z, arrays, root_attrs = read_v3(store, compressor, shards)
    directory = tempfile.mkdtemp(prefix=os.path.basename(store.rstrip("/")) + ".v2.", dir=workdir)
    return transcode(z, arrays, root_attrs, os.path.join(directory, "v2.zarr"))


def _finite(value):
    return not isinstance(value, (float, np.floating)) or math.isfinite(value)


def v3_attr(value):
    """An attribute value as a v3 document holds it: non-finite floats as the strings."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        return [v3_attr(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)) and not all(_finite(v) for v in value):
        return [v3_attr(v) for v in value]
    if not _finite(value):
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    return value


def v3_attrs(ds):
    """`ds` with every attribute spelled as a v3 store holds it (an expectation's view)."""
    ds = ds.copy()
    ds.attrs = {k: v3_attr(v) for k, v in ds.attrs.items()}
    for var in ds.variables.values():
        var.attrs = {k: v3_attr(v) for k, v in var.attrs.items()}
    return ds


def check_v3(source, store, variables=None, renames=None, extra_attrs=None, chunks=None, compressor="zstd",
             group=None, shards=None, workdir=None):
    """oracle.check for a v3 store (see the module's doc). shards: the job's "shards" (None:
    the store must not be sharded). The transcode is made below `workdir` (a temporary
    directory when None) and removed when the check passes."""
    import oracle
    v2 = as_v2(store, workdir, compressor, shards)
    oracle.check(source, v2, variables=variables, renames=renames, extra_attrs=extra_attrs, chunks=chunks,
                 compressor=None, group=group, v3=True)
    shutil.rmtree(os.path.dirname(v2))
    return True
