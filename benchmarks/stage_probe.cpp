// The floor's stages measured with the library calls zpmpi makes, on one core (issue 15):
//
//   stage_probe read <uri> <decoder> <hours> <box> <var>...
//       reads each variable through zpmpi's Source (decoder "zpmpi": its own decode of
//       netCDF-4 chunks, or of a kerchunk set; "netcdf-c": netCDF-C's), `hours` time steps
//       at a time, on this thread only; box "t0:t1,y0:y1,x0:x1" (or "all").
//   stage_probe encode <uri> <codec json> <t,y,x out chunks> <edge> <box> <var>...
//       encodes every output chunk of the box with zpmpi's codec (the chunks are cut from
//       the source first, untimed); edge "cut": chunks at the box's end are cut short, as
//       Zarr stores them; "pad": they are padded to the full chunk with NaN, as the tiled
//       preprocessor's tiles are (its encode covers the padding too).
//   stage_probe write <dir> <bytes> <count>
//       creates `count` chunk files of `bytes` bytes in <dir> as zpmpi does (temporary file,
//       write, rename), then removes them (untimed).
// Each prints "<seconds> <bytes>" for one pass (the caller takes medians over runs):
// source bytes for read and encode (which adds "<encoded bytes> <chunks>"), bytes
// written for write.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "zpmpi/app/process_memory.hpp"
#include "zpmpi/codec/codec.hpp"
#include "zpmpi/source/decode_buffers.hpp"
#include "zpmpi/source/source.hpp"
#include "zpmpi/zarr/file_write.hpp"

namespace {

using zpmpi::model::Box;
using zpmpi::model::Index;
using zpmpi::model::Shape;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "stage_probe: %s\n", why.c_str());
  std::exit(1);
}

std::unique_ptr<zpmpi::source::Source> open(const std::string& uri, const std::string& decoder) {
  zpmpi::source::SourceSpec spec;
  spec.uris = {uri};
  if (uri.size() > 5 && uri.ends_with(".json")) spec.engine = zpmpi::source::Engine::kKerchunk;
  if (decoder != "zpmpi" && decoder != "netcdf-c") die("decoder must be zpmpi or netcdf-c, not " + decoder);
  spec.decoder = decoder == "zpmpi" ? zpmpi::source::Decoder::kZpmpi : zpmpi::source::Decoder::kNetcdfC;
  auto s = zpmpi::source::open_source(spec);
  if (!s.ok()) die(s.error().message);
  return std::move(s).value();
}

/// The box of `v` that "t0:t1,y0:y1,x0:x1" (or "all") names.
Box box_of(const std::string& text, const zpmpi::model::Variable& v) {
  Box box{Shape(v.shape.size(), 0), v.shape};
  if (text == "all") return box;
  std::size_t d = 0, at = 0;
  while (at < text.size() && d < v.shape.size()) {
    const std::size_t comma = text.find(',', at);
    const std::string part = text.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    const std::size_t colon = part.find(':');
    const Index a = std::stoull(part.substr(0, colon)), b = std::stoull(part.substr(colon + 1));
    box.start[d] = a;
    box.count[d] = b - a;
    ++d;
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return box;
}

/// Reads the box of `v` in slabs of `hours` along the first dim into `sink` (one slab each).
double read_slabs(zpmpi::source::Source& s, const zpmpi::model::Variable& v, const Box& box, Index hours,
                  std::vector<std::byte>& slab, const std::function<void(const Box&, const std::vector<std::byte>&)>& sink) {
  double seconds = 0;
  for (Index t = box.start[0]; t < box.start[0] + box.count[0]; t += hours) {
    Box part = box;
    part.start[0] = t;
    part.count[0] = std::min(hours, box.start[0] + box.count[0] - t);
    slab.resize(part.num_elements() * zpmpi::model::dtype_size(v.dtype));
    const auto t0 = Clock::now();
    if (auto st = s.read(v.name, part, slab, {}, nullptr); !st.ok()) die(st.error().message);
    seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    if (sink) sink(part, slab);
  }
  return seconds;
}

int read_stage(int argc, char** argv) {
  if (argc < 7) die("read <uri> <decoder> <hours> <box> <var>...");
  auto s = open(argv[2], argv[3]);
  const Index hours = std::stoull(argv[4]);
  double seconds = 0;
  std::uint64_t bytes = 0;
  std::vector<std::byte> slab;
  for (int i = 6; i < argc; ++i) {
    const auto* v = s->dataset().find_variable(argv[i]);
    if (!v) die(std::string("no variable ") + argv[i]);
    const Box box = box_of(argv[5], *v);
    seconds += read_slabs(*s, *v, box, hours, slab, nullptr);
    bytes += box.num_elements() * zpmpi::model::dtype_size(v->dtype);
  }
  std::printf("%.6f %llu\n", seconds, static_cast<unsigned long long>(bytes));
  return 0;
}

int encode_stage(int argc, char** argv) {
  if (argc < 8) die("encode <uri> <codec json> <t,y,x> <cut|pad> <box> <var>...");
  auto s = open(argv[2], "zpmpi");
  auto spec = zpmpi::codec::codec_spec_from_json(boost::json::parse(argv[3]));
  if (!spec.ok()) die(spec.error().message);
  const auto codec = zpmpi::codec::make_codec(spec.value());
  Shape chunks;
  for (std::string c = argv[4]; !c.empty();) {
    const std::size_t comma = c.find(',');
    chunks.push_back(std::stoull(c.substr(0, comma)));
    c = comma == std::string::npos ? "" : c.substr(comma + 1);
  }
  const std::string edge = argv[5];
  if (edge != "cut" && edge != "pad") die("edge must be cut or pad, not " + edge);
  const bool pad = edge == "pad";
  // Every output chunk of the box, cut out first (untimed).
  std::vector<std::vector<std::byte>> pieces;
  std::vector<std::size_t> element_sizes;  // each piece's, as the executor passes it (blosc's shuffle)
  std::uint64_t bytes = 0;
  std::vector<std::byte> slab;
  for (int i = 7; i < argc; ++i) {
    const auto* v = s->dataset().find_variable(argv[i]);
    if (!v || v->shape.size() != 3 || chunks.size() != 3) die("3-D variables and chunks only");
    if (pad && v->dtype != zpmpi::model::DType::f4) die("pad: float32 variables only");
    const Box box = box_of(argv[6], *v);
    const std::size_t elem = zpmpi::model::dtype_size(v->dtype);
    read_slabs(*s, *v, box, chunks[0], slab, [&](const Box& part, const std::vector<std::byte>& data) {
      for (Index y = 0; y < part.count[1]; y += chunks[1])
        for (Index x = 0; x < part.count[2]; x += chunks[2]) {
          const Index ny = std::min(chunks[1], part.count[1] - y), nx = std::min(chunks[2], part.count[2] - x);
          // A padded piece keeps the full chunk's row length and row count.
          const Index nt = pad ? chunks[0] : part.count[0], py = pad ? chunks[1] : ny, px = pad ? chunks[2] : nx;
          auto& piece = pieces.emplace_back(nt * py * px * elem);
          element_sizes.push_back(elem);
          if (pad) {
            const float nan = std::numeric_limits<float>::quiet_NaN();
            for (std::size_t at = 0; at < piece.size(); at += elem) std::memcpy(piece.data() + at, &nan, elem);
          }
          for (Index t = 0; t < part.count[0]; ++t)
            for (Index j = 0; j < ny; ++j)
              std::memcpy(piece.data() + ((t * py + j) * px) * elem,
                          data.data() + ((t * part.count[1] + y + j) * part.count[2] + x) * elem, nx * elem);
          bytes += part.count[0] * ny * nx * elem;  // source bytes: the rate is per byte of the source
        }
    });
  }
  std::vector<std::byte> out;
  std::uint64_t encoded = 0;
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const auto& p = pieces[i];
    out.resize(codec->max_encoded_size(p.size()));
    auto n = codec->encode(p, out, element_sizes[i]);
    if (!n.ok()) die(n.error().message);
    encoded += n.value();
  }
  std::printf("%.6f %llu %llu %zu\n", std::chrono::duration<double>(Clock::now() - t0).count(),
              static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(encoded), pieces.size());
  return 0;
}

int write_stage(int argc, char** argv) {
  if (argc < 5) die("write <dir> <bytes> <count>");
  const std::filesystem::path dir = argv[2];
  const std::size_t size = std::stoull(argv[3]);
  const int count = std::stoi(argv[4]);
  std::filesystem::create_directories(dir);
  std::vector<std::byte> bytes(size, std::byte{0x5A});
  const auto t0 = Clock::now();
  for (int i = 0; i < count; ++i) {
    const auto name = dir / ("0." + std::to_string(i));
    if (zpmpi::zarr::write_file_atomically(name, dir / (".0." + std::to_string(i) + ".tmp"), bytes))
      die("cannot write " + name.string());
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::filesystem::remove_all(dir);
  std::printf("%.6f %llu\n", seconds, static_cast<unsigned long long>(size) * count);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  zpmpi::app::keep_freed_memory_resident();  // as zpmpi's main does
  const std::string stage = argc > 1 ? argv[1] : "";
  if (stage == "read") return read_stage(argc, argv);
  if (stage == "encode") return encode_stage(argc, argv);
  if (stage == "write") return write_stage(argc, argv);
  die("usage: stage_probe read|encode|write ... (see benchmarks/stage_probe.cpp)");
}
