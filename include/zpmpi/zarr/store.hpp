// Module `zarr` (DESIGN.md, "Modules"): the output store on a POSIX file system: Zarr v2
// and v3 keys and metadata spelled as zarr-python writes them, atomic file writes, and the
// store's life (a run's copy beside the store, its lock, the swap, the resume record). Depends on
// model and Boost.JSON; the compressor arrives as JSON, so it knows no codec. Never: MPI
// (app decides which rank calls what), getenv (test hooks arrive as arguments), a write
// or read through a symbolic link, deleting what is not a Zarr store's or zpmpi's own.
//
//   store.hpp          chunk keys; chunk and metadata writes into a store (below)
//   store_format.hpp   Zarr v2 or v3: chunk file keys, metadata names, the completion document
//   metadata.hpp       .zarray, .zattrs, .zgroup, .zmetadata; dtype and fill_value spelling
//   names.hpp          array and dim names that can be store keys
//   file_write.hpp     a temporary name, then rename: no reader sees half a file
//   streamed_file.hpp  the same for a file written in pieces (a v3 shard)
//   store_transaction.hpp   begin, commit, abandon: a failed run never costs the old store
//   store_path.hpp, store_lock.hpp, store_replace.hpp, store_contents.hpp   what the
//                      transaction is made of: the path, one writer, the swap, safe deletion
//   store_entry.hpp    store entries reached without following links
//   store_resume.hpp   what --resume needs from a copy a killed run left
//   chunk_files.hpp    which chunk (or shard) files an array holds; a shard file's index
//   side_file.hpp      files a run writes outside its store (--stats), judged first
//   store_references.hpp   a complete store read back as a kerchunk reference set (v3 as v2)
//   store_attributes.hpp   some attributes of a complete store rewritten in place
//   linked_copy.hpp    an append's copy: the store's files hard-linked, but those rewritten
// src/zarr also keeps dtype.cpp (NumPy typestr, fill_value), json_dump.cpp and
// json_parse.cpp (the text of Python's json.dumps and json.loads, NaN included) and
// write_errors.hpp (the words of a failed write).
//
// A Zarr v2 or v3 directory store on a POSIX file system (store_format.hpp).
//
// Chunk files are named by chunk index joined with "." ("0.3.1"; "0" for a rank-0 array)
// in v2, and "c/0/3/1" ("c") in v3, where the directories below the array are created as
// chunks arrive. Each is written to a temporary name in its own directory and renamed into
// place, so a chunk file that exists is complete. .zmetadata (v2), or the root zarr.json
// with its consolidated metadata (v3), is written last, so a store without it is known to
// be incomplete. Creating, replacing and removing whole stores safely is
// StoreTransaction's (store_transaction.hpp); this file writes into a store.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "zpmpi/model/box.hpp"
#include "zpmpi/model/result.hpp"
#include "zpmpi/zarr/file_write.hpp"
#include "zpmpi/zarr/metadata.hpp"
#include "zpmpi/zarr/store_contents.hpp"
#include "zpmpi/zarr/store_format.hpp"
#include "zpmpi/zarr/v3_metadata.hpp"

namespace zpmpi::zarr {

/// "i.j.k" for a chunk index; "0" for rank 0.
std::string chunk_key(const model::Shape& chunk_index);

/// An array name becomes one directory level of the store: check_name (names.hpp) must
/// accept it for `format`. The job checks names with their config keys before anything is
/// created; this is the last guard. The error names `store`: "cannot create store S:
/// invalid array name 'N'".
Status check_array_name(const std::filesystem::path& store, const std::string& name,
                        ZarrFormat format = ZarrFormat::kV2);

/// Writes the skeleton of an empty store into `path`: the directory (and missing parents)
/// if needed, one sub-directory per array, and for v2 .zgroup. A v3 skeleton has no
/// zarr.json at all: the root's is the completion document, written last by
/// write_v3_metadata, and a plain group document there would make an unfinished store
/// look like a readable one. It does not judge what `path`
/// already holds: whether a path may be written or replaced is StoreTransaction's decision
/// (store_transaction.hpp), which calls this on its own fresh copy.
/// Errors (naming the path): an array name that is empty, ".", ".." or holds '/' (it would
/// place chunks outside the array's directory); a directory or .zgroup that cannot be made;
/// an array's directory that is a symbolic link.
Status create_store(const std::filesystem::path& path, const std::vector<std::string>& array_names,
                    ZarrFormat format = ZarrFormat::kV2);

/// Writes `bytes` to the file `relative` below `store` (".zpmpi/owner", "t2m/0.1"):
/// atomically, through the temporary entry `tmp` in the same directory, and opening
/// nothing through a symbolic link: `store` itself and each directory below it are opened
/// with O_NOFOLLOW, each relative to the one above (openat: store_entry.hpp), the temporary too, and the
/// rename replaces whatever entry `relative` is, never a link's target. (A killed run's
/// copy is resumed: a link planted in it must not send its writes elsewhere.)
/// Errors name the path: "S/t2m is a symbolic link where a store entry should be; ...",
/// "cannot write S/t2m/0.1: No space left on device".
Status write_store_file(const std::filesystem::path& store, const std::filesystem::path& relative,
                        std::span<const std::byte> bytes, const std::string& tmp, bool durable = false,
                        WriteFault* fault = nullptr);

/// Writes the metadata document `doc` (dump_json) to `relative` below `store` with
/// write_store_file, through the temporary NAME.tmp beside it (one writer: rank 0).
Status write_document(const std::filesystem::path& store, const std::filesystem::path& relative,
                      const boost::json::value& doc);

/// The hidden temporary name of the file `file_name` written by `writer_id`, in the same
/// directory: "0.3.1" -> ".0.3.1.tmp7"; a v3 chunk "c/0/3/1" -> ".1.tmp7" in "c/0/3"; the
/// 0-d "c" -> ".c.tmp7". store_contents.hpp and chunk_files.hpp know them by this shape.
std::string temporary_name(std::string_view file_name, int writer_id);

/// The file name a temporary_name is of: ".0.3.1.tmp7" -> "0.3.1", ".c.tmp7" -> "c"; "" for
/// a name of another shape (".zarray.tmp", "0.3", ".x.tmp", ".1.tmp").
std::string_view temporary_of(std::string_view name);

/// Writes one chunk (or shard) file `key` (chunk_file_key, store_format.hpp) of `array`
/// with write_store_file, through temporary_name(its file name, `writer_id`). The array's
/// directory must exist; the levels of a v3 key below it ("c", "c/0", "c/0/3") are created
/// as needed (open_or_make_store_dir, store_entry.hpp: never through a link; concurrent
/// writers creating one level are fine; a file or link at a level is an error naming it).
/// `durable`: the file and each created level synced first; `fault`: a test hook (both
/// file_write.hpp).
Status write_chunk(const std::filesystem::path& store, const std::string& array,
                   const std::string& key, std::span<const std::byte> bytes, int writer_id, bool durable = false,
                   WriteFault* fault = nullptr);

/// Writes .zgroup, the root .zattrs, each array's (text arrays too) .zarray and .zattrs,
/// then .zmetadata.
Status write_metadata(const std::filesystem::path& store, const boost::json::object& group_attrs,
                      const std::vector<ArrayMeta>& arrays, const boost::json::value& compressor);

/// Zarr v3: writes v3_metadata_documents in order, each array's NAME/zarr.json, then the
/// root zarr.json with the consolidated metadata last. Each array's directory must exist.
/// Errors: v3_array_json's (before anything is written), write_store_file's.
Status write_v3_metadata(const std::filesystem::path& store, const boost::json::object& group_attrs,
                         const std::vector<V3ArrayMeta>& arrays);

}  // namespace zpmpi::zarr
