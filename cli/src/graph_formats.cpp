// SPDX-License-Identifier: Apache-2.0
#include "graph_formats.hpp"

#include <expat.h>
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <vector>

#include "output.hpp"

namespace dbridge::cli {
namespace {

// ---- JSON helpers -------------------------------------------------------------

/// A dbridge::json from a parsed nlohmann value.
dbridge::json to_graph_json(const ojson& j) { return dbridge::json{j.dump()}; }

/// The JSON text of a string, escaped.
std::string json_quoted(std::string_view s) { return json_text(ojson(std::string(s))); }

/// Ids may be numbers in files other tools wrote (NetworkX node-link).
std::string id_text(const ojson& j, std::string_view what) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_integer() || j.is_number_unsigned()) return j.dump();
  throw_error(errc::data, fmt::format("{} must be a string or an integer, not {}", what, j.dump()));
}

std::vector<std::string> labels_of(const ojson& j) {
  std::vector<std::string> out;
  if (j.is_null()) return out;
  if (!j.is_array()) throw_error(errc::data, "a node's \"labels\" must be an array of strings");
  for (const auto& l : j) {
    if (!l.is_string()) throw_error(errc::data, "a node's \"labels\" must be an array of strings");
    out.push_back(l.get<std::string>());
  }
  return out;
}

/// Every member of obj but the named ones, as one object (none when there are none).
dbridge::json rest_of(const ojson& obj, std::initializer_list<std::string_view> taken) {
  ojson rest = ojson::object();
  for (const auto& [k, v] : obj.items()) {
    bool skip = false;
    for (std::string_view t : taken) skip |= k == t;
    if (!skip) rest[k] = v;
  }
  return rest.empty() ? dbridge::json() : to_graph_json(rest);
}

dbridge::node node_from_json(const ojson& j) {
  if (!j.is_object() || !j.contains("id")) throw_error(errc::data, "a node needs an \"id\"");
  dbridge::node n;
  n.id = id_text(j["id"], "a node id");
  if (j.contains("labels")) n.labels = labels_of(j["labels"]);
  // dbridge's own files carry "value"; other tools put attributes beside the id.
  n.value = j.contains("value") ? to_graph_json(j["value"]) : rest_of(j, {"id", "labels", "kind"});
  return n;
}

const ojson* member(const ojson& j, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (auto it = j.find(n); it != j.end()) return &*it;
  return nullptr;
}

dbridge::edge edge_from_json(const ojson& j) {
  if (!j.is_object()) throw_error(errc::data, "an edge must be an object");
  const ojson* from = member(j, {"from", "source"});
  const ojson* to = member(j, {"to", "target"});
  if (from == nullptr || to == nullptr) throw_error(errc::data, "an edge needs \"from\" and \"to\"");
  dbridge::edge e;
  e.from = id_text(*from, "an edge's from");
  e.to = id_text(*to, "an edge's to");
  if (const ojson* type = member(j, {"type", "relation", "label"}); type != nullptr && !type->is_null())
    e.type = id_text(*type, "an edge's type");
  if (const ojson* w = member(j, {"weight"}); w != nullptr && !w->is_null()) {
    if (!w->is_number()) throw_error(errc::data, "an edge's \"weight\" must be a number");
    e.weight = w->get<double>();
  }
  e.properties = j.contains("properties")
                     ? to_graph_json(j["properties"])
                     : rest_of(j, {"from", "source", "to", "target", "type", "relation", "label", "weight", "kind",
                                   "key"});
  return e;
}

// ---- writers --------------------------------------------------------------------

void put(std::FILE* out, std::string_view s) {
  if (std::fwrite(s.data(), 1, s.size(), out) != s.size())
    throw_error(errc::resource, "could not write the graph file (disk full?)");
}

std::string node_json(const dbridge::node& n, std::string_view kind) {
  std::string s = "{";
  if (!kind.empty()) s += fmt::format("\"kind\":\"{}\",", kind);
  s += "\"id\":" + json_quoted(n.id);
  if (!n.value.text.empty()) s += ",\"value\":" + n.value.text;
  if (!n.labels.empty()) {
    ojson labels = ojson::array();
    for (const auto& l : n.labels) labels.push_back(l);
    s += ",\"labels\":" + json_text(labels);
  }
  return s + "}";
}

std::string edge_json(const dbridge::edge& e, std::string_view kind) {
  std::string s = "{";
  if (!kind.empty()) s += fmt::format("\"kind\":\"{}\",", kind);
  s += "\"from\":" + json_quoted(e.from) + ",\"to\":" + json_quoted(e.to) + ",\"type\":" + json_quoted(e.type);
  if (e.weight) s += fmt::format(",\"weight\":{}", json_text(ojson(*e.weight)));
  if (!e.properties.text.empty()) s += ",\"properties\":" + e.properties.text;
  return s + "}";
}

/// One JSON document, written as it streams: nodes, then edges.
class json_writer final : public graph_writer {
 public:
  explicit json_writer(std::FILE* out) : out_(out) {}
  void begin(std::string_view name, bool directed) override {
    put(out_, fmt::format("{{\"name\":{},\"directed\":{},\"nodes\":[", json_quoted(name), directed));
  }
  void node(const dbridge::node& n) override { put(out_, (nodes_++ ? ",\n" : "\n") + node_json(n, {})); }
  void edge(const dbridge::edge& e) override {
    if (!in_edges_) put(out_, "\n],\"edges\":["), in_edges_ = true;
    put(out_, (edges_++ ? ",\n" : "\n") + edge_json(e, {}));
  }
  void end() override {
    if (!in_edges_) put(out_, "\n],\"edges\":[");
    put(out_, "\n]}\n");
  }

 private:
  std::FILE* out_;
  std::size_t nodes_ = 0, edges_ = 0;
  bool in_edges_ = false;
};

/// JSON Lines: a graph line, then one line per node and per edge.
class jsonl_writer final : public graph_writer {
 public:
  explicit jsonl_writer(std::FILE* out) : out_(out) {}
  void begin(std::string_view name, bool directed) override {
    put(out_, fmt::format("{{\"kind\":\"graph\",\"name\":{},\"directed\":{}}}\n", json_quoted(name), directed));
  }
  void node(const dbridge::node& n) override { put(out_, node_json(n, "node") + "\n"); }
  void edge(const dbridge::edge& e) override { put(out_, edge_json(e, "edge") + "\n"); }
  void end() override {}

 private:
  std::FILE* out_;
};

/// Text for an XML attribute or element. XML 1.0 cannot hold most control
/// characters, U+FFFE, U+FFFF or bytes that are not UTF-8 at all, so they
/// are refused rather than written into a file no parser reads back.
std::string xml_escaped(std::string_view s, std::string_view what) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      const std::size_t n = utf8_length_at(s, i);
      const bool non_character = n == 3 && s.compare(i, 2, "\xEF\xBF") == 0 &&
                                 (static_cast<unsigned char>(s[i + 2]) == 0xBE || static_cast<unsigned char>(s[i + 2]) == 0xBF);
      if (n == 0 || non_character)
        throw_error(errc::data, fmt::format("{} {} holds {} GraphML (XML 1.0) cannot carry; export as json or jsonl instead",
                                            what, json_quoted(s), n == 0 ? "bytes that are not UTF-8, which" : "U+FFFE or U+FFFF, which"));
      out.append(s, i, n);
      i += n - 1;
      continue;
    }
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\t': out += "&#9;"; break;
      case '\n': out += "&#10;"; break;
      case '\r': out += "&#13;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          throw_error(errc::data, fmt::format("{} {} holds a control character GraphML (XML 1.0) cannot carry; "
                                              "export as json or jsonl instead",
                                              what, json_quoted(s)));
        out += c;
    }
  }
  return out;
}

// Attribute keys of dbridge's GraphML: the node value and edge properties as
// JSON text, labels as a JSON array, weight as a double other tools can plot.
constexpr const char* graphml_head = R"(<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">
  <key id="value" for="node" attr.name="value" attr.type="string"/>
  <key id="labels" for="node" attr.name="labels" attr.type="string"/>
  <key id="type" for="edge" attr.name="type" attr.type="string"/>
  <key id="weight" for="edge" attr.name="weight" attr.type="double"/>
  <key id="properties" for="edge" attr.name="properties" attr.type="string"/>
)";

class graphml_writer final : public graph_writer {
 public:
  explicit graphml_writer(std::FILE* out) : out_(out) {}
  void begin(std::string_view name, bool directed) override {
    put(out_, graphml_head);
    put(out_, fmt::format("  <graph id=\"{}\" edgedefault=\"{}\">\n", xml_escaped(name, "graph name"),
                          directed ? "directed" : "undirected"));
  }
  void node(const dbridge::node& n) override {
    std::string s = fmt::format("    <node id=\"{}\">", xml_escaped(n.id, "node id"));
    if (!n.value.text.empty())
      s += fmt::format("<data key=\"value\">{}</data>", xml_escaped(n.value.text, "value"));
    if (!n.labels.empty()) {
      ojson labels = ojson::array();
      for (const auto& l : n.labels) labels.push_back(l);
      s += fmt::format("<data key=\"labels\">{}</data>", xml_escaped(json_text(labels), "labels"));
    }
    put(out_, s + "</node>\n");
  }
  void edge(const dbridge::edge& e) override {
    std::string s = fmt::format("    <edge source=\"{}\" target=\"{}\"><data key=\"type\">{}</data>",
                                xml_escaped(e.from, "node id"), xml_escaped(e.to, "node id"),
                                xml_escaped(e.type, "edge type"));
    if (e.weight) s += fmt::format("<data key=\"weight\">{}</data>", json_text(ojson(*e.weight)));
    if (!e.properties.text.empty())
      s += fmt::format("<data key=\"properties\">{}</data>", xml_escaped(e.properties.text, "properties"));
    put(out_, s + "</edge>\n");
  }
  void end() override { put(out_, "  </graph>\n</graphml>\n"); }

 private:
  std::FILE* out_;
};

// ---- readers --------------------------------------------------------------------

template <class F>
bool read_chunks(std::FILE* in, F&& use) {
  std::vector<char> buf(1 << 16);
  while (true) {
    const std::size_t n = std::fread(buf.data(), 1, buf.size(), in);
    if (n > 0) use(buf.data(), n, false);
    if (n < buf.size()) {
      if (std::ferror(in)) throw_error(errc::resource, "could not read the graph file");
      use(buf.data(), 0, true);
      return true;
    }
  }
}

void read_json_document(std::FILE* in, const graph_sink& sink) {
  std::string text;
  read_chunks(in, [&](const char* p, std::size_t n, bool) { text.append(p, n); });
  ojson doc;
  try {
    doc = ojson::parse(text);
  } catch (const ojson::exception& e) {  // a syntax error, or a number past a double (1e999)
    throw_error(errc::data, fmt::format("the graph file cannot be read as JSON: {}", e.what()));
  }
  if (!doc.is_object()) throw_error(errc::data, "a JSON graph file holds one object with \"nodes\" and \"edges\"");
  if (const ojson* d = member(doc, {"directed"}); d != nullptr && d->is_boolean() && sink.directed)
    sink.directed(d->get<bool>());
  std::size_t i = 0;
  try {
    if (const ojson* nodes = member(doc, {"nodes"}); nodes != nullptr)
      for (const auto& n : *nodes) ++i, sink.node(node_from_json(n));
    i = 0;
    if (const ojson* edges = member(doc, {"edges", "links"}); edges != nullptr)
      for (const auto& e : *edges) ++i, sink.edge(edge_from_json(e));
  } catch (const dbridge::error& e) {
    throw_error(errc::data, fmt::format("item {} of the graph file: {}", i, e.info().message));
  } catch (const ojson::exception& e) {  // a member of the wrong JSON type
    throw_error(errc::data, fmt::format("item {} of the graph file: {}", i, e.what()));
  }
}

void read_json_lines(std::FILE* in, const graph_sink& sink) {
  std::string pending;
  std::size_t line_no = 0;
  auto one_line = [&](std::string_view line) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;
    try {
      const ojson j = ojson::parse(line);
      const std::string kind = j.is_object() && j.contains("kind") && j["kind"].is_string() ? j["kind"].get<std::string>()
                                                                                            : std::string();
      if (kind == "node") sink.node(node_from_json(j));
      else if (kind == "edge") sink.edge(edge_from_json(j));
      else if (kind == "graph") {
        if (j.contains("directed") && j["directed"].is_boolean() && sink.directed) sink.directed(j["directed"].get<bool>());
      } else
        throw_error(errc::data, "each line needs \"kind\": \"graph\", \"node\" or \"edge\"");
    } catch (const ojson::exception& e) {  // a syntax error, or a number past a double (1e999)
      throw_error(errc::data, fmt::format("line {} of the graph file cannot be read as JSON: {}", line_no, e.what()));
    } catch (const dbridge::error& e) {
      throw_error(errc::data, fmt::format("line {} of the graph file: {}", line_no, e.info().message));
    }
  };
  read_chunks(in, [&](const char* p, std::size_t n, bool last) {
    pending.append(p, n);
    std::size_t start = 0;
    for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
      one_line(std::string_view(pending).substr(start, nl - start));
    pending.erase(0, start);
    if (last && !pending.empty()) one_line(pending);
  });
}

/// GraphML through expat, as it streams. Attributes of other tools' files
/// (yEd, Gephi, NetworkX) become the node value / edge properties object,
/// typed by their key's attr.type.
class graphml_reader {
 public:
  graphml_reader(const graph_sink& sink) : sink_(sink), parser_(XML_ParserCreate("UTF-8")) {
    if (parser_ == nullptr) throw_error(errc::resource, "out of memory creating the XML parser");
    XML_SetUserData(parser_, this);
    XML_SetElementHandler(parser_, &graphml_reader::on_start, &graphml_reader::on_end);
    XML_SetCharacterDataHandler(parser_, &graphml_reader::on_text);
  }
  ~graphml_reader() { XML_ParserFree(parser_); }
  graphml_reader(const graphml_reader&) = delete;
  graphml_reader& operator=(const graphml_reader&) = delete;

  void read(std::FILE* in) {
    read_chunks(in, [&](const char* p, std::size_t n, bool last) {
      if (XML_Parse(parser_, p, static_cast<int>(n), last ? 1 : 0) == XML_STATUS_ERROR) {
        if (failure_) std::rethrow_exception(failure_);
        throw_error(errc::data, fmt::format("GraphML line {}, column {}: {}", XML_GetCurrentLineNumber(parser_),
                                            XML_GetCurrentColumnNumber(parser_),
                                            XML_ErrorString(XML_GetErrorCode(parser_))));
      }
    });
    if (!saw_graph_) throw_error(errc::data, "the file holds no GraphML <graph>");
  }

 private:
  struct key {
    std::string name, type, for_what;
    std::optional<std::string> fallback;  // <default>
  };
  enum class in { none, node, edge };

  static std::string_view local(const XML_Char* name) {
    std::string_view s(name);
    const std::size_t colon = s.rfind(':');
    return colon == std::string_view::npos ? s : s.substr(colon + 1);
  }
  static const char* attr(const XML_Char** atts, std::string_view name) {
    for (; atts[0] != nullptr; atts += 2)
      if (local(atts[0]) == name) return atts[1];
    return nullptr;
  }
  [[noreturn]] void fail(const std::string& msg) {
    throw_error(errc::data, fmt::format("GraphML line {}: {}", XML_GetCurrentLineNumber(parser_), msg));
  }

  static void on_start(void* self, const XML_Char* name, const XML_Char** atts) {
    static_cast<graphml_reader*>(self)->guarded([&](graphml_reader& r) { r.start(local(name), atts); });
  }
  static void on_end(void* self, const XML_Char* name) {
    static_cast<graphml_reader*>(self)->guarded([&](graphml_reader& r) { r.end(local(name)); });
  }
  static void on_text(void* self, const XML_Char* s, int len) {
    auto* r = static_cast<graphml_reader*>(self);
    if (r->text_on_) r->text_.append(s, static_cast<std::size_t>(len));
  }
  // Exceptions must not unwind through expat's C frames.
  template <class F>
  void guarded(F&& f) {
    if (failure_) return;
    try {
      f(*this);
    } catch (...) {
      failure_ = std::current_exception();
      XML_StopParser(parser_, XML_FALSE);
    }
  }

  void start(std::string_view el, const XML_Char** atts) {
    if (el == "key") {
      const char* id = attr(atts, "id");
      if (id == nullptr) fail("<key> without an id");
      const char* name = attr(atts, "attr.name");
      const char* type = attr(atts, "attr.type");
      const char* for_what = attr(atts, "for");
      key_id_ = id;
      keys_[id] = key{name != nullptr ? name : id, type != nullptr ? type : "string", for_what ? for_what : "all", {}};
    } else if (el == "default") {
      text_.clear(), text_on_ = true;
    } else if (el == "graph") {
      if (saw_graph_) fail("nested or several <graph> elements are not supported; one graph per file");
      saw_graph_ = true;
      const char* d = attr(atts, "edgedefault");
      if (sink_.directed) sink_.directed(d == nullptr || std::string_view(d) != "undirected");
    } else if (el == "node") {
      const char* id = attr(atts, "id");
      if (id == nullptr) fail("<node> without an id");
      where_ = in::node, id_ = id, attrs_.clear();
    } else if (el == "edge") {
      const char* s = attr(atts, "source");
      const char* t = attr(atts, "target");
      if (s == nullptr || t == nullptr) fail("<edge> without source and target");
      where_ = in::edge, from_ = s, to_ = t, attrs_.clear();
    } else if (el == "data") {
      const char* k = attr(atts, "key");
      if (k == nullptr) fail("<data> without a key");
      data_key_ = k, text_.clear(), text_on_ = where_ != in::none;
    } else if (el == "hyperedge") {
      fail("hyperedges are not supported");
    }
  }

  void end(std::string_view el) {
    if (el == "default") {
      text_on_ = false;
      if (auto it = keys_.find(key_id_); it != keys_.end()) it->second.fallback = text_;
    } else if (el == "data" && text_on_) {
      text_on_ = false;
      auto it = keys_.find(data_key_);
      if (it == keys_.end()) fail("<data> names the undeclared key '" + data_key_ + "'");
      attrs_[it->second.name] = typed(it->second, text_);
    } else if (el == "node" && where_ == in::node) {
      where_ = in::none;
      add_defaults("node");
      sink_.node(make_node());
    } else if (el == "edge" && where_ == in::edge) {
      where_ = in::none;
      add_defaults("edge");
      sink_.edge(make_edge());
    }
  }

  void add_defaults(std::string_view for_what) {
    for (const auto& [id, k] : keys_)
      if (k.fallback && (k.for_what == for_what || k.for_what == "all") && !attrs_.contains(k.name))
        attrs_[k.name] = typed(k, *k.fallback);
  }

  ojson typed(const key& k, const std::string& text) {
    const std::string& t = k.type;
    if (t == "boolean") return text == "true" || text == "1";
    if (t == "int" || t == "long") {
      std::int64_t v = 0;
      const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || p != text.data() + text.size()) fail(fmt::format("'{}' is not an {} ({})", text, t, k.name));
      return v;
    }
    if (t == "float" || t == "double") {
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0') fail(fmt::format("'{}' is not a {} ({})", text, t, k.name));
      if (!std::isfinite(v)) return text;  // JSON has no NaN or infinity
      return v;
    }
    return text;
  }

  /// dbridge's own "value" (JSON text) alone, else every attribute as one object.
  dbridge::json object_or_own(std::string_view own) {
    if (attrs_.size() == 1 && attrs_.contains(std::string(own)) && attrs_.begin()->second.is_string()) {
      const std::string& text = attrs_.begin()->second.get_ref<const std::string&>();
      // Text that is not JSON came from another tool: keep it as a string.
      if (ojson::accept(text)) return dbridge::json{text};
      return to_graph_json(ojson(text));
    }
    if (attrs_.empty()) return {};
    ojson o = ojson::object();
    for (const auto& [k, v] : attrs_) o[k] = v;
    return to_graph_json(o);
  }

  dbridge::node make_node() {
    dbridge::node n;
    n.id = id_;
    if (auto it = attrs_.find("labels"); it != attrs_.end()) {
      const std::string text = it->second.is_string() ? it->second.get<std::string>() : it->second.dump();
      attrs_.erase(it);
      if (!text.empty() && text.front() == '[') {
        try {
          n.labels = labels_of(ojson::parse(text));
        } catch (const ojson::exception&) {
          fail("node " + id_ + ": labels '" + text + "' is not a JSON array");
        }
      } else {
        // Neo4j writes labels as ":Person:Admin".
        for (std::size_t start = 0; start <= text.size();) {
          std::size_t colon = text.find(':', start);
          if (colon == std::string::npos) colon = text.size();
          if (colon > start) n.labels.push_back(text.substr(start, colon - start));
          start = colon + 1;
        }
      }
    }
    n.value = object_or_own("value");
    return n;
  }

  dbridge::edge make_edge() {
    dbridge::edge e;
    e.from = from_, e.to = to_;
    for (const char* name : {"type", "label", "relation"}) {
      if (auto it = attrs_.find(name); it != attrs_.end()) {
        e.type = it->second.is_string() ? it->second.get<std::string>() : it->second.dump();
        attrs_.erase(it);
        break;
      }
    }
    if (auto it = attrs_.find("weight"); it != attrs_.end() && it->second.is_number()) {
      e.weight = it->second.get<double>();
      attrs_.erase(it);
    }
    e.properties = object_or_own("properties");
    return e;
  }

  const graph_sink& sink_;
  XML_Parser parser_;
  std::exception_ptr failure_;
  std::map<std::string, key> keys_;
  std::string key_id_, data_key_, id_, from_, to_, text_;
  std::map<std::string, ojson> attrs_;
  in where_ = in::none;
  bool text_on_ = false;
  bool saw_graph_ = false;
};

}  // namespace

graph_format graph_format_named(std::string_view name) {
  if (name == "json") return graph_format::json;
  if (name == "jsonl") return graph_format::jsonl;
  if (name == "graphml") return graph_format::graphml;
  throw usage_error(fmt::format("unknown graph format '{}'", name), "use json, jsonl or graphml");
}

std::optional<graph_format> graph_format_of_file(std::string_view path) {
  auto ends = [&](std::string_view ext) {
    return path.size() >= ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
  };
  if (ends(".jsonl") || ends(".ndjson")) return graph_format::jsonl;
  if (ends(".json")) return graph_format::json;
  if (ends(".graphml") || ends(".xml")) return graph_format::graphml;
  return std::nullopt;
}

std::unique_ptr<graph_writer> make_graph_writer(graph_format f, std::FILE* out) {
  switch (f) {
    case graph_format::json: return std::make_unique<json_writer>(out);
    case graph_format::jsonl: return std::make_unique<jsonl_writer>(out);
    case graph_format::graphml: return std::make_unique<graphml_writer>(out);
  }
  return nullptr;
}

void read_graph(graph_format f, std::FILE* in, const graph_sink& sink) {
  switch (f) {
    case graph_format::json: return read_json_document(in, sink);
    case graph_format::jsonl: return read_json_lines(in, sink);
    case graph_format::graphml: {
      graphml_reader r(sink);
      return r.read(in);
    }
  }
}

}  // namespace dbridge::cli
