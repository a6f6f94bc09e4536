// The reference set's streaming parser: a boost::json::basic_parser handler that files each
// reference as it goes by (metadata text, or a 16-byte ChunkRef in its array's table), so a
// reference file of hundreds of MB is never a JSON tree. Only "gen" entries (small objects)
// are built as values, and expanded at the end.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <utility>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "kerchunk/kerchunk_compressed.hpp"
#include "kerchunk/kerchunk_template.hpp"
#include "zpmpi/source/byte_ranges.hpp"
#include "zpmpi/source/kerchunk_refs.hpp"

namespace zpmpi::source::kerchunk {

namespace json = boost::json;

namespace {

/// Duplicated keys the warning names (it counts the others).
constexpr std::uint64_t kNamedDuplicates = 5;

/// A key's last component starts with '.': ".zgroup", "t2m/.zarray", "t2m/.zattrs".
bool is_metadata_key(std::string_view key) {
  const std::size_t slash = key.rfind('/');
  const std::string_view last = slash == std::string_view::npos ? key : key.substr(slash + 1);
  return last.starts_with(".");
}

/// Splits "t2m/3.0.1" or "t2m/3/0/1" into "t2m" and {3, 0, 1}, noting the separator ('.'
/// or '/'; 0 for a single index). False when the key has no array part or no index.
bool split_chunk_key(std::string_view key, std::string_view& array, std::vector<std::uint64_t>& idx, char& sep,
                     std::vector<std::string_view>& parts) {
  idx.clear();
  parts.clear();
  sep = 0;
  std::string_view rest = key;
  // Trailing components made of digits (and, for the last one, '.'s).
  std::size_t cut = rest.size();
  while (true) {
    const std::size_t slash = rest.rfind('/', cut - 1);
    if (slash == std::string_view::npos) break;  // the array's own name
    const std::string_view comp = rest.substr(slash + 1, cut - slash - 1);
    const bool last = cut == rest.size();
    bool numeric = !comp.empty();
    for (char c : comp)
      if (!(std::isdigit(static_cast<unsigned char>(c)) || (last && c == '.'))) numeric = false;
    if (!numeric) break;
    parts.push_back(comp);
    cut = slash;
    if (cut == 0) return false;
  }
  if (parts.empty()) return false;
  array = rest.substr(0, cut);
  if (parts.size() > 1) {
    sep = '/';
    if (parts.front().find('.') != std::string_view::npos) return false;  // "0/1.2": mixed
  }
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    std::string_view comp = *it;
    std::size_t b = 0;
    while (b <= comp.size()) {
      std::size_t e = comp.find('.', b);
      if (e == std::string_view::npos) e = comp.size();
      if (e == b) return false;  // "1..2", ".1"
      if (e < comp.size()) {
        if (sep == '/') return false;
        sep = '.';
      }
      std::uint64_t v = 0;
      for (std::size_t i = b; i < e; ++i) {
        if (v > (UINT64_MAX - 9) / 10) return false;
        v = v * 10 + static_cast<std::uint64_t>(comp[i] - '0');
      }
      idx.push_back(v);
      b = e + 1;
    }
  }
  return true;
}

/// A .zarray's grid and separator, if it is readable (the source reports a bad one).
struct ZarrayGrid {
  model::Shape grid;
  char separator = '.';
};
std::optional<ZarrayGrid> grid_of(std::string_view zarray) {
  boost::system::error_code ec;
  json::value v = json::parse(zarray, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  const auto* shape = o.if_contains("shape");
  const auto* chunks = o.if_contains("chunks");
  if (!shape || !chunks || !shape->is_array() || !chunks->is_array()) return std::nullopt;
  if (shape->as_array().size() != chunks->as_array().size()) return std::nullopt;
  ZarrayGrid g;
  for (std::size_t d = 0; d < shape->as_array().size(); ++d) {
    const auto& s = shape->as_array()[d];
    const auto& c = chunks->as_array()[d];
    if (!s.is_number() || !c.is_number()) return std::nullopt;
    boost::system::error_code e1, e2;
    const auto sv = s.to_number<std::uint64_t>(e1);
    const auto cv = c.to_number<std::uint64_t>(e2);
    if (e1 || e2 || cv == 0) return std::nullopt;
    g.grid.push_back(sv == 0 ? 0 : (sv + cv - 1) / cv);
  }
  if (const auto* sep = o.if_contains("dimension_separator"); sep && sep->is_string() && sep->as_string() == "/")
    g.separator = '/';
  return g;
}

std::string quoted(std::string_view key) {
  std::string q(1, '"');
  return q.append(key).append(1, '"');
}

/// A "gen" entry's field as template text (a number is its decimal text); nullopt when
/// absent and not `required`.
Result<std::optional<std::string>> gen_text(const json::object& o, const char* field, bool required) {
  const auto* v = o.if_contains(field);
  if (!v) {
    if (required) return usage_error(std::string(field) + ": missing");
    return std::optional<std::string>();
  }
  if (v->is_string()) return std::optional<std::string>(std::string(v->as_string()));
  if (v->is_int64() && v->as_int64() >= 0) return std::optional<std::string>(std::to_string(v->as_int64()));
  if (v->is_uint64()) return std::optional<std::string>(std::to_string(v->as_uint64()));
  return usage_error(std::string(field) + ": must be a string or a non-negative integer");
}

/// A rendered offset or length: decimal digits that fit in 64 bits.
Result<std::uint64_t> to_u64(const std::string& t, const char* what) {
  auto bad = [&](const char* why) { return usage_error(std::string(what) + " '" + t + "' " + why); };
  if (t.empty()) return bad("is not a non-negative integer");
  std::uint64_t x = 0;
  for (char c : t) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return bad("is not a non-negative integer");
    if (__builtin_mul_overflow(x, 10u, &x) || __builtin_add_overflow(x, static_cast<std::uint64_t>(c - '0'), &x))
      return bad("does not fit in 64 bits");
  }
  return x;
}

/// The values of one "gen" dimension: a list of integers or {"start", "stop", "step"}
/// (Python's range: stop excluded).
Result<std::vector<std::int64_t>> gen_values(const json::value& spec, const std::string& where) {
  std::vector<std::int64_t> vals;
  if (spec.is_array()) {
    for (const auto& x : spec.as_array()) {
      if (!x.is_int64()) return usage_error(where + ": must list integers");
      vals.push_back(x.as_int64());
    }
    return vals;
  }
  if (!spec.is_object()) return usage_error(where + ": must be {start, stop, step} or a list");
  auto get = [&](const char* f, std::int64_t dflt) -> Result<std::int64_t> {
    const auto* x = spec.as_object().if_contains(f);
    if (!x) return dflt;
    if (!x->is_int64()) return usage_error(where + "." + f + ": must be an integer");
    return x->as_int64();
  };
  ZPMPI_ASSIGN_OR_RETURN(std::int64_t start, get("start", 0));
  ZPMPI_ASSIGN_OR_RETURN(std::int64_t stop, get("stop", INT64_MIN));
  ZPMPI_ASSIGN_OR_RETURN(std::int64_t step, get("step", 1));
  if (stop == INT64_MIN) return usage_error(where + ".stop: missing");
  if (step <= 0) return usage_error(where + ".step: must be positive");
  if (stop <= start) return vals;
  // Counted in unsigned arithmetic: stop - start may not fit in int64.
  const std::uint64_t span = static_cast<std::uint64_t>(stop) - static_cast<std::uint64_t>(start);
  const std::uint64_t n = span / static_cast<std::uint64_t>(step) + (span % static_cast<std::uint64_t>(step) != 0);
  if (n > kMaxTableChunks) return usage_error(where + ": more than 2^28 values");
  for (std::uint64_t i = 0; i < n; ++i)
    vals.push_back(static_cast<std::int64_t>(static_cast<std::uint64_t>(start) + i * static_cast<std::uint64_t>(step)));
  return vals;
}

/// A "gen" entry's dimensions, in order, with their values.
struct GenDims {
  std::vector<std::string> names;
  std::vector<std::vector<std::int64_t>> values;
};
Result<GenDims> gen_dimensions(const json::object& o) {
  const auto* dims_v = o.if_contains("dimensions");
  if (!dims_v || !dims_v->is_object()) return usage_error("dimensions: must be an object");
  GenDims dims;
  std::uint64_t combinations = 1;
  for (const auto& [name, spec] : dims_v->as_object()) {
    dims.names.emplace_back(name);
    ZPMPI_ASSIGN_OR_RETURN(auto vals, gen_values(spec, "dimensions." + std::string(name)));
    // Each at most 2^28: checked before the product can overflow.
    combinations *= std::max<std::uint64_t>(vals.size(), 1);
    if (combinations > kMaxTableChunks) return usage_error("dimensions: more than 2^28 combinations");
    dims.values.push_back(std::move(vals));
  }
  return dims;
}

}  // namespace

/// The SAX handler. Contexts form a stack; a value's meaning comes from the context it is in
/// and, at the top level, from its key.
struct ReferenceSet::Builder {
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  enum class Ctx { Top, Templates, Refs, Gen, RefList, Dom };

  explicit Builder(ReferenceSet& s) : set(s) {}

  ReferenceSet& set;
  std::optional<Error> error;  ///< ours (the parser only sees "failed")
  std::vector<Ctx> stack;
  std::string key, str, top_key, ref_key;
  bool seen_version = false, seen_v1_part = false, seen_v0_ref = false;
  bool seen_refs = false, seen_templates = false, seen_gen = false;
  bool expanding_gen = false;  ///< finish() is placing the "gen" references
  // Keys given more than once (the last is used, as fsspec's json.load keeps it).
  std::vector<std::string> duplicated;  ///< the first few, named in the warning
  bool more_duplicated = false;         ///< others, not named
  std::uint64_t num_duplicated = 0;
  std::map<std::string, std::string, std::less<>> templates;
  std::vector<json::value> gen;

  // The [url, offset, length] being read.
  std::size_t list_pos = 0;
  std::string list_url;
  std::uint64_t list_offset = 0, list_length = 0;

  // A "gen" entry being built as a value.
  json::value dom_root;
  std::vector<json::value*> dom_stack;
  std::string dom_key;

  // Urls interned while parsing (unexpanded; finish() expands them and re-interns).
  std::unordered_map<std::string, std::uint32_t> url_ids;
  // Chunk references of arrays whose .zarray has not been seen yet.
  struct Pending {
    std::uint32_t array;
    char sep;
    std::uint32_t ndim;
    std::uint64_t idx_pos;
    ChunkRef ref;
  };
  std::vector<Pending> pending;
  std::vector<std::uint64_t> pending_idx;
  std::vector<std::string> pending_arrays;
  std::unordered_map<std::string, std::uint32_t> pending_array_ids;
  std::vector<std::uint64_t> idx;  // reused
  std::vector<std::string_view> parts;  // reused

  // ---- errors -------------------------------------------------------------------------
  bool fail(boost::system::error_code& ec, Error e) {
    error = std::move(e);
    ec = make_error_code(boost::system::errc::invalid_argument);
    return false;
  }
  bool fail(boost::system::error_code& ec, const std::string& why) { return fail(ec, usage_error(why)); }
  /// "refs: "t2m/0.0": " or ""t2m/0.0": " (version 0): where a reference error is.
  std::string ref_where() const {
    return (set.version_ == 1 || seen_v1_part ? "refs: " : "") + quoted(ref_key) + ": ";
  }
  bool wrong_type(boost::system::error_code& ec, const char* got) {
    if (stack.empty()) return fail(ec, std::string("a reference set is a JSON object, got ") + got);
    switch (stack.back()) {
      case Ctx::Top:
        if (top_key == "version") return fail(ec, std::string("version: must be an integer, got ") + got);
        if (top_key == "templates") return fail(ec, std::string("templates: must be an object, got ") + got);
        if (top_key == "gen") return fail(ec, std::string("gen: must be a list, got ") + got);
        if (top_key == "refs") return fail(ec, std::string("refs: must be an object, got ") + got);
        break;
      case Ctx::Templates:
        return fail(ec, "templates: " + quoted(key) + ": must be a string, got " + got);
      case Ctx::Gen:
        return fail(ec, std::string("gen: each entry must be an object, got ") + got);
      case Ctx::RefList:
        return fail(ec, ref_where() + "must be [url], [url, offset, length] or a string; element " +
                            std::to_string(list_pos) + " is " + got);
      default:
        break;
    }
    return fail(ec, ref_where() + "must be a string or [url, offset, length], got " + got);
  }

  // ---- filing references ---------------------------------------------------------------
  std::uint32_t intern_url(const std::string& url) {
    auto [it, fresh] = url_ids.try_emplace(url, static_cast<std::uint32_t>(set.urls_.size()));
    if (fresh) set.urls_.push_back(url);
    return it->second;
  }

  Status register_array(std::string_view name, std::string_view zarray) {
    if (set.arrays_.count(name)) return {};
    auto g = grid_of(zarray);
    if (!g) return {};  // the source names what is wrong with it
    std::uint64_t n = 1;
    for (auto c : g->grid) {
      if (c != 0 && n > kMaxTableChunks / c) {
        n = kMaxTableChunks + 1;
        break;
      }
      n *= c;
    }
    if (n > kMaxTableChunks)
      return usage_error(std::string(name) + ": more than 2^28 chunks (" + model::to_string(g->grid) +
                         "): too many for one reference table");
    ArrayRefs a;
    a.grid = g->grid;
    a.table.assign(n, ChunkRef{});
    set.arrays_.emplace(std::string(name), std::move(a));
    set.separators_.emplace(std::string(name), g->separator);
    return {};
  }

  /// Notes a key given more than once.
  void note_duplicate(std::string_view key) {
    ++num_duplicated;
    if (std::find(duplicated.begin(), duplicated.end(), key) != duplicated.end()) return;
    if (duplicated.size() < kNamedDuplicates) duplicated.emplace_back(key);
    else more_duplicated = true;
  }

  /// A top-level key of a version 1 set given again: its new value replaces the old one
  /// whole (Python's json.load keeps the last), so what the old one filed is dropped.
  void restart_part() {
    note_duplicate(top_key);
    if (top_key == "templates") templates.clear();
    if (top_key == "gen") gen.clear();
    if (top_key != "refs") return;
    set.metadata_.clear();
    set.arrays_.clear();
    set.separators_.clear();
    pending.clear();
    pending_idx.clear();
    pending_arrays.clear();
    pending_array_ids.clear();
  }

  /// Puts `ref` at chunk `idx` of array `name`, over one already there unless
  /// `keep_existing` (an earlier reference placed late: the later one stays); false when
  /// the array has no table or the key is not one of its chunks (the other separator,
  /// outside the grid).
  bool place(std::string_view name, char sep, const std::vector<std::uint64_t>& ix, const ChunkRef& ref,
             bool keep_existing = false) {
    const auto it = set.arrays_.find(name);
    if (it == set.arrays_.end()) return false;
    ArrayRefs& a = it->second;
    if (sep != 0 && sep != set.separators_.find(name)->second) return false;
    std::uint64_t linear = 0;
    if (a.grid.empty()) {
      if (ix.size() != 1 || ix[0] != 0) return false;
    } else {
      if (ix.size() != a.grid.size()) return false;
      for (std::size_t d = 0; d < ix.size(); ++d) {
        if (ix[d] >= a.grid[d]) return false;
        linear = linear * a.grid[d] + ix[d];
      }
    }
    ChunkRef& slot = a.table[linear];
    if (slot.missing()) {
      ++a.num_refs;
    } else {
      note_duplicate(set.chunk_key(name, linear));
      if (keep_existing) return true;
    }
    slot = ref;
    return true;
  }

  /// Files a chunk reference of an array whose table does not exist (yet): finish() places
  /// it, unless a later one of the same key took its place.
  void add_pending(std::string_view array, char sep, const std::vector<std::uint64_t>& ix, const ChunkRef& ref) {
    auto [ai, fresh] = pending_array_ids.try_emplace(std::string(array), static_cast<std::uint32_t>(pending_arrays.size()));
    if (fresh) pending_arrays.emplace_back(array);
    pending.push_back({ai->second, sep, static_cast<std::uint32_t>(ix.size()), pending_idx.size(), ref});
    pending_idx.insert(pending_idx.end(), ix.begin(), ix.end());
  }

  /// True when array `name` has a table of the grid and separator `zarray` gives.
  bool same_grid(const std::string& name, std::string_view zarray) const {
    const auto it = set.arrays_.find(name);
    const auto g = grid_of(zarray);
    return it != set.arrays_.end() && g && g->grid == it->second.grid && g->separator == set.separators_.at(name);
  }

  /// Drops the table of `name` (a later .zarray replaces its grid): its references become
  /// pending again, to be placed in the new table by finish().
  void unregister_array(const std::string& name) {
    auto it = set.arrays_.find(name);
    if (it == set.arrays_.end()) return;
    const char sep = set.separators_.find(name)->second;
    const ArrayRefs& a = it->second;
    std::vector<std::uint64_t> ix(std::max<std::size_t>(a.grid.size(), 1), 0);
    for (std::uint64_t linear = 0; linear < a.table.size(); ++linear) {
      if (a.table[linear].missing()) continue;
      std::uint64_t rest = linear;
      for (std::size_t d = a.grid.size(); d-- > 0;) {
        ix[d] = rest % a.grid[d];
        rest /= a.grid[d];
      }
      add_pending(name, ix.size() > 1 ? sep : 0, ix, a.table[linear]);
    }
    set.arrays_.erase(it);
    set.separators_.erase(name);
  }

  Status add_chunk(std::string_view key_text, const ChunkRef& ref) {
    std::string_view array;
    char sep = 0;
    if (!split_chunk_key(key_text, array, idx, sep, parts)) return {};  // not a chunk key: nothing zarr reads
    // A key the table cannot hold now may fit the grid of a later .zarray of the array
    // (the last one counts); keys zarr does not read are dropped only at the end.
    if (place(array, sep, idx, ref)) return {};
    if (!expanding_gen) add_pending(array, sep, idx, ref);
    return {};
  }

  Status add_inline(std::string_view key_text, std::string_view value) {
    std::string decoded;
    if (value.starts_with("base64:")) {
      auto bytes = decode_base64(value.substr(7));
      if (!bytes.ok()) return bytes.error();
      decoded = std::move(bytes).value();
      value = decoded;
    }
    if (is_metadata_key(key_text)) {
      auto [it, fresh] = set.metadata_.try_emplace(std::string(key_text));
      if (!fresh) note_duplicate(key_text);  // the last text is the one fsspec reads
      it->second.assign(value);
      if (!key_text.ends_with("/.zarray")) return {};
      const std::string array(key_text.substr(0, key_text.size() - 8));
      if (!fresh && !same_grid(array, it->second)) unregister_array(array);
      return register_array(array, it->second);
    }
    if (value.size() >= ChunkRef::kWholeFile) return usage_error("inline data of 4 GiB or more");
    ChunkRef ref;
    ref.url = ChunkRef::kInline;
    ref.offset = set.inline_.size();
    ref.length = static_cast<std::uint32_t>(value.size());
    set.inline_.append(value);
    return add_chunk(key_text, ref);
  }

  Status add_range(std::string_view key_text, const std::string& url, std::uint64_t offset, std::uint64_t length,
                   bool whole) {
    if (is_metadata_key(key_text)) return usage_error("a metadata key must be inline text, got a url reference");
    if (!whole && length >= ChunkRef::kWholeFile) return usage_error("a chunk of 4 GiB or more");
    ChunkRef ref;
    ref.url = intern_url(url);
    ref.offset = whole ? 0 : offset;
    ref.length = whole ? ChunkRef::kWholeFile : static_cast<std::uint32_t>(length);
    return add_chunk(key_text, ref);
  }

  // ---- values -------------------------------------------------------------------------
  /// A key's value at the top level names what it is.
  bool top_is_ref(boost::system::error_code& ec) {
    if (seen_v1_part || seen_version) return fail(ec, quoted(top_key) + ": not a key of a version 1 reference set (version, templates, gen, refs)");
    seen_v0_ref = true;
    ref_key = top_key;
    return true;
  }
  bool v1_part(boost::system::error_code& ec) {
    if (seen_v0_ref) return fail(ec, quoted(top_key) + ": a version 1 key in a version 0 reference set");
    seen_v1_part = true;
    return true;
  }

  bool on_string_value(std::string_view s, boost::system::error_code& ec) {
    if (stack.empty()) return wrong_type(ec, "a string");
    switch (stack.back()) {
      case Ctx::Dom:
        dom_insert(json::value(json::string_view(s.data(), s.size())));
        return true;
      case Ctx::Templates:
        if (templates.count(key)) note_duplicate("templates." + key);
        templates[key] = std::string(s);
        return true;
      case Ctx::RefList:
        if (list_pos != 0) return wrong_type(ec, "a string");
        list_url.assign(s);
        ++list_pos;
        return true;
      case Ctx::Top:
        if (top_key == "version" || top_key == "templates" || top_key == "gen" || top_key == "refs")
          return wrong_type(ec, "a string");
        if (!top_is_ref(ec)) return false;
        [[fallthrough]];
      case Ctx::Refs:
        if (auto st = add_inline(ref_key, s); !st.ok()) return fail(ec, st.error().with_context(ref_where().substr(0, ref_where().size() - 2)));
        return true;
      default:
        return wrong_type(ec, "a string");
    }
  }

  bool on_integer(bool negative, std::uint64_t u, std::string_view text, boost::system::error_code& ec) {
    if (stack.empty()) return wrong_type(ec, "a number");
    switch (stack.back()) {
      case Ctx::Dom:
        dom_insert(negative ? json::value(static_cast<std::int64_t>(-static_cast<std::int64_t>(u))) : json::value(u));
        return true;
      case Ctx::Top:
        if (top_key == "version") {
          if (negative || u != 1)
            return fail(ec, "unknown reference set version " + std::string(text) + " (supported: 0, 1)");
          if (seen_v0_ref) return fail(ec, "\"version\": 1 in a set with version 0 references");
          if (std::exchange(seen_version, true)) note_duplicate(top_key);
          set.version_ = 1;
          return true;
        }
        break;
      case Ctx::RefList:
        if (list_pos == 1 || list_pos == 2) {
          if (negative) return fail(ec, ref_where() + (list_pos == 1 ? "offset" : "length") + " must not be negative, got " + std::string(text));
          (list_pos == 1 ? list_offset : list_length) = u;
          ++list_pos;
          return true;
        }
        break;
      default:
        break;
    }
    return wrong_type(ec, "a number");
  }

  bool on_other_scalar(json::value v, const char* what, boost::system::error_code& ec) {
    if (!stack.empty() && stack.back() == Ctx::Dom) {
      dom_insert(std::move(v));
      return true;
    }
    if (!stack.empty() && stack.back() == Ctx::Top && top_key == "version")
      return fail(ec, std::string("unknown reference set version ") + what + " (supported: 0, 1)");
    return wrong_type(ec, what);
  }

  // ---- the "gen" entries, built as values ----------------------------------------------
  json::value& dom_insert(json::value v) {
    if (dom_stack.empty()) {
      dom_root = std::move(v);
      return dom_root;
    }
    json::value& top = *dom_stack.back();
    if (top.is_array()) return top.as_array().emplace_back(std::move(v));
    return top.as_object()[dom_key] = std::move(v);
  }

  // ---- parser events --------------------------------------------------------------------
  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }

  bool on_object_begin(boost::system::error_code& ec) {
    if (stack.empty()) {
      stack.push_back(Ctx::Top);
      return true;
    }
    switch (stack.back()) {
      case Ctx::Dom:
        dom_stack.push_back(&dom_insert(json::object()));
        return true;
      case Ctx::Gen:
        dom_stack.push_back(&dom_insert(json::object()));
        stack.push_back(Ctx::Dom);
        return true;
      case Ctx::Top:
        if (top_key == "templates") {
          if (!v1_part(ec)) return false;
          if (std::exchange(seen_templates, true)) restart_part();
          stack.push_back(Ctx::Templates);
          return true;
        }
        if (top_key == "refs") {
          if (!v1_part(ec)) return false;
          if (std::exchange(seen_refs, true)) restart_part();
          stack.push_back(Ctx::Refs);
          return true;
        }
        if (top_key != "version" && top_key != "gen" && !top_is_ref(ec)) return false;
        break;
      default:
        break;
    }
    return wrong_type(ec, "an object");
  }
  bool on_object_end(std::size_t, boost::system::error_code&) {
    if (stack.back() == Ctx::Dom) {
      dom_stack.pop_back();
      if (dom_stack.empty()) {
        gen.push_back(std::move(dom_root));
        stack.pop_back();
      }
      return true;
    }
    stack.pop_back();
    return true;
  }
  bool on_array_begin(boost::system::error_code& ec) {
    if (stack.empty()) return wrong_type(ec, "a list");
    switch (stack.back()) {
      case Ctx::Dom:
        dom_stack.push_back(&dom_insert(json::array()));
        return true;
      case Ctx::Top:
        if (top_key == "gen") {
          if (!v1_part(ec)) return false;
          if (std::exchange(seen_gen, true)) restart_part();
          stack.push_back(Ctx::Gen);
          return true;
        }
        if (top_key == "version" || top_key == "templates" || top_key == "refs") break;
        if (!top_is_ref(ec)) return false;
        [[fallthrough]];
      case Ctx::Refs:
        stack.push_back(Ctx::RefList);
        list_pos = 0;
        return true;
      default:
        break;
    }
    return wrong_type(ec, "a list");
  }
  bool on_array_end(std::size_t, boost::system::error_code& ec) {
    switch (stack.back()) {
      case Ctx::Dom:
        dom_stack.pop_back();
        return true;
      case Ctx::RefList: {
        stack.pop_back();
        if (list_pos != 1 && list_pos != 3)
          return fail(ec, ref_where() + "must be [url] or [url, offset, length], got a list of " + std::to_string(list_pos));
        auto st = add_range(ref_key, list_url, list_offset, list_length, list_pos == 1);
        if (!st.ok()) return fail(ec, st.error().with_context(ref_where().substr(0, ref_where().size() - 2)));
        return true;
      }
      default:
        stack.pop_back();
        return true;
    }
  }
  bool on_key_part(json::string_view s, std::size_t, boost::system::error_code&) {
    key.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, boost::system::error_code&) {
    key.append(s.data(), s.size());
    switch (stack.back()) {
      case Ctx::Top:
        top_key = key;
        break;
      case Ctx::Refs:
        ref_key = key;
        break;
      case Ctx::Dom:
        dom_key = key;
        break;
      default:
        break;
    }
    if (stack.back() != Ctx::Templates) key.clear();
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, boost::system::error_code&) {
    str.append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t, boost::system::error_code& ec) {
    bool ok;
    if (str.empty()) {
      ok = on_string_value(std::string_view(s.data(), s.size()), ec);
    } else {
      str.append(s.data(), s.size());
      ok = on_string_value(str, ec);
      str.clear();
    }
    key.clear();  // a template's key was kept for its value
    return ok;
  }
  bool on_number_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view s, boost::system::error_code& ec) {
    const bool neg = i < 0;
    const std::uint64_t u = neg ? static_cast<std::uint64_t>(-(i + 1)) + 1 : static_cast<std::uint64_t>(i);
    if (!stack.empty() && stack.back() == Ctx::Dom) {
      dom_insert(json::value(i));
      return true;
    }
    return on_integer(neg, u, std::string_view(s.data(), s.size()), ec);
  }
  bool on_uint64(std::uint64_t u, json::string_view s, boost::system::error_code& ec) {
    return on_integer(false, u, std::string_view(s.data(), s.size()), ec);
  }
  bool on_double(double d, json::string_view s, boost::system::error_code& ec) {
    return on_other_scalar(json::value(d), ("a number with a fraction (" + std::string(s.data(), s.size()) + ")").c_str(), ec);
  }
  bool on_bool(bool b, boost::system::error_code& ec) { return on_other_scalar(json::value(b), "a boolean", ec); }
  bool on_null(boost::system::error_code& ec) { return on_other_scalar(json::value(nullptr), "null", ec); }
  bool on_comment_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(json::string_view, boost::system::error_code&) { return true; }

  // ---- the end ------------------------------------------------------------------------
  std::optional<TemplateValue> template_value(std::string_view name) const {
    auto it = templates.find(name);
    if (it == templates.end()) return std::nullopt;
    return TemplateValue{it->second, 0, false};
  }

  Status finish() {
    if ((seen_v1_part) && !seen_version)
      return usage_error("\"refs\", \"templates\" or \"gen\" without \"version\": 1");
    const std::string base = base_of(set.location_);
    // Urls: templates expanded, made absolute; interned again by their final text.
    TemplateLookup lookup = [this](std::string_view n) { return template_value(n); };
    std::vector<std::uint32_t> remap(set.urls_.size());
    std::vector<std::string> final_urls;
    url_ids.clear();
    for (std::size_t i = 0; i < set.urls_.size(); ++i) {
      std::string rendered;
      if (auto st = render_template(set.urls_[i], lookup, rendered); !st.ok()) return st.error().with_context("refs");
      std::string url = resolve_url(rendered, base);
      auto [it, fresh] = url_ids.try_emplace(url, static_cast<std::uint32_t>(final_urls.size()));
      if (fresh) final_urls.push_back(std::move(url));
      remap[i] = it->second;
    }
    set.urls_ = std::move(final_urls);
    for (auto& [name, a] : set.arrays_)
      for (auto& r : a.table)
        if (!r.missing() && r.url != ChunkRef::kInline) r.url = remap[r.url];
    for (auto& p : pending)
      if (p.ref.url != ChunkRef::kInline) p.ref.url = remap[p.ref.url];

    // Chunks whose (last) .zarray came after them, latest first: a reference placed
    // already came later in the file than every pending one of its key.
    for (auto p = pending.rbegin(); p != pending.rend(); ++p) {
      const std::string& name = pending_arrays[p->array];
      if (!set.arrays_.count(name)) continue;  // no (valid) .zarray: not an array zarr reads
      idx.assign(pending_idx.begin() + static_cast<std::ptrdiff_t>(p->idx_pos),
                 pending_idx.begin() + static_cast<std::ptrdiff_t>(p->idx_pos + p->ndim));
      place(name, p->sep, idx, p->ref, true);
    }
    pending.clear();
    pending.shrink_to_fit();
    pending_idx.clear();
    pending_idx.shrink_to_fit();

    expanding_gen = true;  // after every "refs" key: a gen reference of the same key replaces it, as in fsspec
    for (std::size_t g = 0; g < gen.size(); ++g)
      if (auto st = expand_gen(gen[g]); !st.ok()) return st.error().with_context("gen[" + std::to_string(g) + "]");
    set.warnings_ = duplicate_warnings();
    return {};
  }

  /// One line naming the keys given more than once, if any.
  std::vector<std::string> duplicate_warnings() const {
    if (num_duplicated == 0) return {};
    std::string names;
    for (const auto& k : duplicated) names += (names.empty() ? "" : ", ") + quoted(k);
    const std::string repeats = std::to_string(num_duplicated) + (num_duplicated == 1 ? " repeat" : " repeats");
    return {set.location_ + ": keys given more than once (" + repeats + "): " + names +
            (more_duplicated ? ", ..." : "") +
            "; the last value of each is used, as fsspec reads the references"};
  }

  /// One "gen" entry: every combination of its dimensions, last dimension fastest. An
  /// error in a rendered reference names its key.
  Status expand_gen(const json::value& entry) {
    const auto& o = entry.as_object();
    ZPMPI_ASSIGN_OR_RETURN(auto key_t, gen_text(o, "key", true));
    ZPMPI_ASSIGN_OR_RETURN(auto url_t, gen_text(o, "url", true));
    ZPMPI_ASSIGN_OR_RETURN(auto offset_t, gen_text(o, "offset", false));
    ZPMPI_ASSIGN_OR_RETURN(auto length_t, gen_text(o, "length", false));
    if (offset_t.has_value() != length_t.has_value()) return usage_error("offset and length go together");
    ZPMPI_ASSIGN_OR_RETURN(GenDims dims, gen_dimensions(o));
    for (const auto& v : dims.values)
      if (v.empty()) return {};
    std::vector<std::size_t> at(dims.names.size(), 0);
    TemplateLookup lookup = [&](std::string_view n) -> std::optional<TemplateValue> {
      for (std::size_t d = 0; d < dims.names.size(); ++d)
        if (dims.names[d] == n) return TemplateValue{"", dims.values[d][at[d]], true};
      return template_value(n);
    };
    const std::string base = base_of(set.location_);
    std::string k, u, off, len;
    for (;;) {
      k.clear();
      ZPMPI_RETURN_IF_ERROR(render_template(*key_t, lookup, k));
      auto in_key = [&](const Error& e) { return e.with_context(quoted(k)); };
      u.clear();
      if (auto st = render_template(*url_t, lookup, u); !st.ok()) return in_key(st.error().with_context("url"));
      std::uint64_t offset = 0, length = 0;
      if (offset_t) {
        off.clear();
        len.clear();
        if (auto st = render_template(*offset_t, lookup, off); !st.ok()) return in_key(st.error().with_context("offset"));
        if (auto st = render_template(*length_t, lookup, len); !st.ok()) return in_key(st.error().with_context("length"));
        auto o_value = to_u64(off, "offset");
        if (!o_value.ok()) return in_key(o_value.error());
        auto l_value = to_u64(len, "length");
        if (!l_value.ok()) return in_key(l_value.error());
        offset = *o_value;
        length = *l_value;
      }
      if (auto st = add_range(k, resolve_url(u, base), offset, length, !offset_t); !st.ok()) return in_key(st.error());
      // Next combination.
      std::size_t d = dims.names.size();
      while (d > 0) {
        --d;
        if (++at[d] < dims.values[d].size()) break;
        at[d] = 0;
        if (d == 0) return {};
      }
      if (dims.names.empty()) return {};
    }
  }
};

// ---- ReferenceSet ------------------------------------------------------------------------

namespace {

/// The largest reference text read (a url's, a compressed file's or its decompressed text).
constexpr std::uint64_t kMaxReferenceBytes = std::uint64_t{4} << 30;

/// Feeds `parser` and turns its outcome into one error naming the location.
template <class Parser>
Status feed(Parser& p, const char* data, std::size_t n, bool more, std::uint64_t& consumed,
            const std::string& location) {
  boost::system::error_code ec;
  const std::size_t used = p.write_some(more, data, n, ec);
  if (ec) {
    if (p.handler().error) return p.handler().error->with_context(location);
    return usage_error(location + ": malformed JSON at byte " + std::to_string(consumed + used) + " (" +
                       ec.message() + ")");
  }
  consumed += used;
  return {};
}

}  // namespace

Result<ReferenceSet> ReferenceSet::parse_text(std::string_view text, const std::string& location) {
  ReferenceSet set;
  set.location_ = location;
  json::basic_parser<Builder> parser(json::parse_options{}, set);
  std::uint64_t consumed = 0;
  const auto sink = [&](const char* data, std::size_t n) { return feed(parser, data, n, true, consumed, location); };
  ZPMPI_RETURN_IF_ERROR(decompress_into(text, compression_of(text), location, kMaxReferenceBytes, sink));
  ZPMPI_RETURN_IF_ERROR(feed(parser, nullptr, 0, false, consumed, location));
  if (auto st = parser.handler().finish(); !st.ok()) return st.error().with_context(location);
  return set;
}

Result<ReferenceSet> ReferenceSet::parse_file(const std::string& path_or_url, RangeReader* reader) {
  if (path_or_url.starts_with("http://") || path_or_url.starts_with("https://") || path_or_url.starts_with("s3://")) {
    if (!reader) return runtime_error(path_or_url + ": no reader for urls");
    // Fetched whole (a url cannot be streamed through RangeReader), compressed or not.
    ZPMPI_ASSIGN_OR_RETURN(std::string text, reader->read_whole(path_or_url, kMaxReferenceBytes));
    return parse_text(text, path_or_url);
  }
  std::string path = path_or_url.starts_with("file://") ? path_or_url.substr(7) : path_or_url;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return runtime_error(path + ": cannot open the reference file: " + std::strerror(errno));
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> guard(f, &std::fclose);
  ReferenceSet set;
  set.location_ = path;
  json::basic_parser<Builder> parser(json::parse_options{}, set);
  std::vector<char> block(std::size_t{4} << 20);
  std::uint64_t consumed = 0;
  bool is_compressed = false;
  std::string compressed;  // a compressed file is read whole, then streamed through its decoder
  for (bool first = true;; first = false) {
    const std::size_t n = std::fread(block.data(), 1, block.size(), f);
    if (n == 0) {
      if (std::ferror(f)) return runtime_error(path + ": read failed: " + std::strerror(errno));
      break;
    }
    if (first) is_compressed = compression_of(std::string_view(block.data(), n)) != Compression::kNone;
    if (is_compressed) {
      if (compressed.size() + n > kMaxReferenceBytes) return usage_error(path + ": larger than the limit of " + std::to_string(kMaxReferenceBytes) + " bytes");
      compressed.append(block.data(), n);
      continue;
    }
    ZPMPI_RETURN_IF_ERROR(feed(parser, block.data(), n, true, consumed, path));
  }
  if (is_compressed) return parse_text(compressed, path);
  ZPMPI_RETURN_IF_ERROR(feed(parser, nullptr, 0, false, consumed, path));
  if (auto st = parser.handler().finish(); !st.ok()) return st.error().with_context(path);
  return set;
}

const std::string* ReferenceSet::metadata(std::string_view key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

const ArrayRefs* ReferenceSet::array(std::string_view name) const {
  auto it = arrays_.find(name);
  return it == arrays_.end() ? nullptr : &it->second;
}

std::string ReferenceSet::chunk_key(std::string_view array, std::uint64_t index) const {
  const ArrayRefs* a = this->array(array);
  std::string key(array);
  key += '/';
  if (!a || a->grid.empty()) return key + "0";
  const char sep = separators_.find(array)->second;
  std::vector<std::uint64_t> ix(a->grid.size());
  for (std::size_t d = a->grid.size(); d-- > 0;) {
    ix[d] = index % a->grid[d];
    index /= a->grid[d];
  }
  for (std::size_t d = 0; d < ix.size(); ++d) key += (d ? std::string(1, sep) : "") + std::to_string(ix[d]);
  return key;
}

std::uint64_t ReferenceSet::memory_bytes() const {
  std::uint64_t n = inline_.capacity() + urls_.capacity() * sizeof(std::string);
  for (const auto& u : urls_) n += u.capacity();
  for (const auto& [k, v] : metadata_) n += k.capacity() + v.capacity() + 64;
  for (const auto& [k, a] : arrays_) n += a.table.capacity() * sizeof(ChunkRef) + k.capacity() + 64;
  return n;
}

std::uint64_t ReferenceSet::num_chunk_refs() const {
  std::uint64_t n = 0;
  for (const auto& [k, a] : arrays_) n += a.num_refs;
  return n;
}

std::vector<std::string> ReferenceSet::referenced_urls() const {
  std::vector<bool> used(urls_.size(), false);
  for (const auto& [k, a] : arrays_)
    for (const ChunkRef& r : a.table)
      if (r.url < urls_.size()) used[r.url] = true;
  std::vector<std::string> out;
  for (std::size_t id = 0; id < urls_.size(); ++id)
    if (used[id]) out.push_back(urls_[id]);
  return out;
}

}  // namespace zpmpi::source::kerchunk
