// Module `model` (DESIGN.md, "Modules"): the vocabulary every other module speaks, pure
// data and arithmetic; array_layout.hpp (this file) is the descriptor they all share.
// Depends on no other module of zpmpi (the standard library; the OS only for ByteBuffer's
// memory). Never: file I/O, MPI, threads, a format's library (netCDF, zarr, codecs), a
// decision that belongs to another module (output chunks are plan's, decoding codec's).
//
//   array_layout.hpp   one output array described once (below)
//   dataset.hpp        a source dataset's description: dims, variables, attributes
//   dtype.hpp, text.hpp          numeric and text element types
//   box.hpp, index_map.hpp       C-order index arithmetic; output -> source index maps
//   chunk_assembly.hpp which boxes of a batch's hyperslab make each output chunk, what is
//                      padding (the pure half of exec's gather)
//   value_stage.hpp    what astype, clip, fillna, round do to values, as xarray computes
//   cf_time.hpp, time_recoding.hpp   CF time units and calendars: sel's date labels and
//                      multi-file time units (here, not in transform as DESIGN.md first
//                      had it, because the source's multi-file check needs them too)
//   byte_buffer.hpp    the grow-only, uninitialised buffer behind every large buffer
//   result.hpp         Result and Status: errors as values, with context
//   bytes.hpp, number_text.hpp, same_value.hpp   sizes as users write them, numbers in
//                      messages, equality of values read from files (NaN equals NaN)
//
// One output array, described once: what is written (dtype, dims, shape, chunks, fill) and
// where its elements come from (the source variable and the index map between them).
//
// Every module holds this one descriptor rather than a copy of some of its fields:
// transform fills in the output side and the map, plan decides `chunks` (and `shards`) and
// plans batches over it, exec reads `source` through `map`, and zarr writes .zarray from it.
//
// Example: t2m(time 48, latitude 721, longitude 1440), chunks (24, 721, 1440) in the
// source, after isel(longitude=slice(1, 70, 5)): shape (48, 721, 14), alignment
// (24, 721, 1) (a stepped dim has no source chunk boundaries worth aligning to), and
// output chunks by default min(source chunk, length) = (24, 721, 14).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "zpmpi/model/box.hpp"
#include "zpmpi/model/dtype.hpp"
#include "zpmpi/model/index_map.hpp"
#include "zpmpi/model/text.hpp"
#include "zpmpi/model/value_stage.hpp"

namespace zpmpi::model {

/// The source variable an array reads, in the source's own rank and dim order.
struct SourceLayout {
  std::string name;               ///< variable in the source
  std::vector<std::string> dims;
  Shape shape;
  Shape chunks;                   ///< the source's chunk shape (see Variable::source_chunks)
  bool chunked = false;           ///< chunks must be decoded whole (see Variable::chunked)
  bool compressed = false;        ///< decoding a chunk holds several chunk-sized buffers
  bool decoded_on_workers = false;  ///< each worker decodes (see Variable::decoded_on_workers)
  bool operator==(const SourceLayout&) const = default;
};

/// Append mode (app/append.hpp): this array is a part of the new data, written into the
/// existing store's array of the same name after its old extent along `axis`.
/// Example: the store holds 100 steps in chunks of 24 and 60 new steps arrive: the head
/// part (new steps 0..19, origin 0, chunk_offset 4, kept 4) fills store chunk 4 behind the
/// 4 steps it already holds; the tail part (new steps 20..59, origin 20, chunk_offset 5)
/// is written in whole store chunks 5, 6.
struct StorePlacement {
  std::size_t axis = 0;    ///< the output dim the store grows along
  Index origin = 0;        ///< this part's element 0 among the new data along `axis`
  Index chunk_offset = 0;  ///< the store's chunk grid index of this part's chunk 0 along `axis`
  /// Elements of the store's chunk ahead of this part's (the old data the boundary chunk
  /// keeps): this part's chunk extent along `axis` is the store's less `kept`. 0: aligned.
  Index kept = 0;
  /// A boundary part of a sharded array: its chunks are whole shards (less `kept` along
  /// `axis`), and these are the store's inner chunks; chunk_offset counts shards. Empty:
  /// the part's chunks are the store's.
  Shape store_chunks = {};
  bool operator==(const StorePlacement&) const = default;
};

struct ArrayLayout {
  std::string name;               ///< zarr array name
  DType dtype = DType::f4;         ///< the element type, unless `text` is set
  /// Set for a char or string array (model/text.hpp): its elements are text, `dtype` is
  /// unused, and rank 0 writes it whole as one chunk (exec/text_arrays.hpp), never planned.
  std::optional<TextType> text;
  std::vector<std::string> dims;  ///< output dims
  Shape shape;                    ///< output shape
  Shape chunks;                   ///< output chunk shape; set by plan::choose_output_chunks
  /// Zarr v3 shard shape in elements, set by plan::choose_shards: per dim a multiple of
  /// `chunks` (like a chunk, it may pass the array's length at the edge). A shard is one
  /// file of whole chunks that one rank writes (the plan's units are whole shards).
  /// Empty: not sharded, one file per chunk.
  Shape shards;
  std::optional<Scalar> fill_value;  ///< pads edge chunks; nullopt pads with zeros
  SourceLayout source;
  /// Source chunk extents along the output dims, for aligning regions to source chunks:
  /// 1 where a strided map makes source chunk boundaries irrelevant; the whole length of a
  /// new dim (expand_dims), whose indices all read the same elements. Not a chunk size.
  Shape alignment;
  IndexMap map;                   ///< output index -> source index, one DimMap per source dim
  /// Set when values change on the way (astype, clip, ...): the source is read as
  /// values->source_dtype and each chunk converted to `dtype` (model/value_stage.hpp).
  std::optional<ValueStage> values;
  /// Append mode: where this part lies in the store's array (above). nullopt: the array
  /// is the store's whole array, its chunk grid the store's.
  std::optional<StorePlacement> placement;

  /// The element type reads yield: values->source_dtype, else `dtype`.
  DType read_dtype() const { return values ? values->source_dtype : dtype; }

  /// The source dim that output dim `d` runs along (the map's d-th dim that is not fixed).
  std::size_t source_dim_of(std::size_t d) const;
  /// Chunks per dim (edge chunks included; 0 along a dim whose chunk extent is 0).
  Shape chunk_grid() const;
  /// The store's grid index of this array's chunk `index` (placement's chunk_offset added).
  Shape store_chunk_index(const Shape& index) const;
  /// The store's chunk grid over this array's chunks (chunk_grid() shifted by placement).
  Shape store_chunk_grid() const;
  bool operator==(const ArrayLayout&) const = default;
};

}  // namespace zpmpi::model
