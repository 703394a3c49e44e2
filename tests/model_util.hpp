#pragma once
// Writes a small static embedding model in the model2vec layout (model.safetensors with an
// "embeddings" table, a WordPiece tokenizer.json, config.json): one pseudo-random unit vector
// per word, so that texts sharing words get similar vectors. For tests of the machinery
// around embedders (vector sets, semantic and hybrid search), not of embedding quality.

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pb::testing {

// A Hugging Face tokenizer.json for a lower-casing BERT WordPiece vocabulary (token -> id).
inline nlohmann::json wordpiece_tokenizer_json(nlohmann::json vocab) {
  return {{"version", "1.0"},
          {"normalizer",
           {{"type", "BertNormalizer"},
            {"clean_text", true},
            {"handle_chinese_chars", true},
            {"strip_accents", nullptr},
            {"lowercase", true}}},
          {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
          {"model",
           {{"type", "WordPiece"},
            {"unk_token", "[UNK]"},
            {"continuing_subword_prefix", "##"},
            {"max_input_chars_per_word", 100},
            {"vocab", std::move(vocab)}}}};
}

// A model2vec model whose row for words[i] is rows[i] (all of one dimension).
inline void write_static_model_rows(const std::filesystem::path& dir,
                                    const std::vector<std::string>& words,
                                    const std::vector<std::vector<float>>& rows) {
  std::filesystem::create_directories(dir);
  const size_t dim = rows.empty() ? 1 : rows[0].size();
  nlohmann::json vocab = nlohmann::json::object();
  vocab["[UNK]"] = 0;
  std::vector<float> table(dim, 0.0f);
  for (size_t k = 0; k < words.size(); ++k) {
    if (vocab.contains(words[k])) continue;
    vocab[words[k]] = vocab.size();
    table.insert(table.end(), rows[k].begin(), rows[k].end());
  }
  const size_t n_rows = table.size() / dim;
  nlohmann::json header = {{"embeddings",
                            {{"dtype", "F32"},
                             {"shape", {n_rows, dim}},
                             {"data_offsets", {0, table.size() * sizeof(float)}}}}};
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');
  std::ofstream st(dir / "model.safetensors", std::ios::binary);
  const std::uint64_t n = h.size();
  st.write(reinterpret_cast<const char*>(&n), sizeof n);
  st.write(h.data(), static_cast<std::streamsize>(h.size()));
  st.write(reinterpret_cast<const char*>(table.data()),
           static_cast<std::streamsize>(table.size() * sizeof(float)));
  std::ofstream(dir / "tokenizer.json") << wordpiece_tokenizer_json(vocab).dump();
  std::ofstream(dir / "config.json") << R"({"model_type": "model2vec", "normalize": true})";
}

// A model2vec model with a seeded random row per word.
inline void write_static_model(const std::filesystem::path& dir,
                               const std::vector<std::string>& words, size_t dim,
                               std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g;
  std::vector<std::vector<float>> rows;
  std::set<std::string> seen;
  for (const auto& w : words) {
    std::vector<float> r(dim);
    if (seen.insert(w).second)  // duplicates keep their first row (and draw nothing)
      for (auto& x : r) x = g(rng);
    rows.push_back(std::move(r));
  }
  write_static_model_rows(dir, words, rows);
}

}  // namespace pb::testing
