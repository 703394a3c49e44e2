#include "text/tex.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <vector>

#include "core/utf8.hpp"

// A single-pass scanner, not a TeX interpreter: it recognises the handful of constructs that
// occur in arXiv titles and abstracts and degrades gracefully on everything else. Every branch
// consumes input or hands a non-backslash character back to the main loop, so the run time is
// linear and no input can make it loop, recurse or read out of bounds. Lookahead for arguments
// that are dropped is bounded (kMaxSkippedArgument) so that unbalanced braces cannot make the
// scan quadratic.

namespace pb::text {
namespace {

// ---------------------------------------------------------------------------------------------
// Accents

struct Composition {
  char accent;  // the TeX accent: '"' for \", 'v' for \v, ...
  char32_t base;
  char32_t composed;
};

// Every (base letter, combining mark) pair over A-Z, a-z and a few accented Latin-1 letters
// whose Unicode NFC form is a single code point; generated with Python's unicodedata so that
// no entry is typed by hand. Sorted by (accent, base) for binary search.
constexpr Composition kCompositions[] = {
    {'"', 0x0041, 0x00C4},  {'"', 0x0045, 0x00CB},  {'"', 0x0048, 0x1E26},  {'"', 0x0049, 0x00CF},
    {'"', 0x004F, 0x00D6},  {'"', 0x0055, 0x00DC},  {'"', 0x0057, 0x1E84},  {'"', 0x0058, 0x1E8C},
    {'"', 0x0059, 0x0178},  {'"', 0x0061, 0x00E4},  {'"', 0x0065, 0x00EB},  {'"', 0x0068, 0x1E27},
    {'"', 0x0069, 0x00EF},  {'"', 0x006F, 0x00F6},  {'"', 0x0074, 0x1E97},  {'"', 0x0075, 0x00FC},
    {'"', 0x0077, 0x1E85},  {'"', 0x0078, 0x1E8D},  {'"', 0x0079, 0x00FF},  {'"', 0x00D5, 0x1E4E},
    {'"', 0x00F5, 0x1E4F},  {'\'', 0x0041, 0x00C1}, {'\'', 0x0043, 0x0106}, {'\'', 0x0045, 0x00C9},
    {'\'', 0x0047, 0x01F4}, {'\'', 0x0049, 0x00CD}, {'\'', 0x004B, 0x1E30}, {'\'', 0x004C, 0x0139},
    {'\'', 0x004D, 0x1E3E}, {'\'', 0x004E, 0x0143}, {'\'', 0x004F, 0x00D3}, {'\'', 0x0050, 0x1E54},
    {'\'', 0x0052, 0x0154}, {'\'', 0x0053, 0x015A}, {'\'', 0x0055, 0x00DA}, {'\'', 0x0057, 0x1E82},
    {'\'', 0x0059, 0x00DD}, {'\'', 0x005A, 0x0179}, {'\'', 0x0061, 0x00E1}, {'\'', 0x0063, 0x0107},
    {'\'', 0x0065, 0x00E9}, {'\'', 0x0067, 0x01F5}, {'\'', 0x0069, 0x00ED}, {'\'', 0x006B, 0x1E31},
    {'\'', 0x006C, 0x013A}, {'\'', 0x006D, 0x1E3F}, {'\'', 0x006E, 0x0144}, {'\'', 0x006F, 0x00F3},
    {'\'', 0x0070, 0x1E55}, {'\'', 0x0072, 0x0155}, {'\'', 0x0073, 0x015B}, {'\'', 0x0075, 0x00FA},
    {'\'', 0x0077, 0x1E83}, {'\'', 0x0079, 0x00FD}, {'\'', 0x007A, 0x017A}, {'\'', 0x00C2, 0x1EA4},
    {'\'', 0x00C5, 0x01FA}, {'\'', 0x00C6, 0x01FC}, {'\'', 0x00C7, 0x1E08}, {'\'', 0x00CA, 0x1EBE},
    {'\'', 0x00D4, 0x1ED0}, {'\'', 0x00D5, 0x1E4C}, {'\'', 0x00D8, 0x01FE}, {'\'', 0x00DC, 0x01D7},
    {'\'', 0x00E2, 0x1EA5}, {'\'', 0x00E5, 0x01FB}, {'\'', 0x00E6, 0x01FD}, {'\'', 0x00E7, 0x1E09},
    {'\'', 0x00EA, 0x1EBF}, {'\'', 0x00F4, 0x1ED1}, {'\'', 0x00F5, 0x1E4D}, {'\'', 0x00F8, 0x01FF},
    {'\'', 0x00FC, 0x01D8}, {'.', 0x0041, 0x0226},  {'.', 0x0042, 0x1E02},  {'.', 0x0043, 0x010A},
    {'.', 0x0044, 0x1E0A},  {'.', 0x0045, 0x0116},  {'.', 0x0046, 0x1E1E},  {'.', 0x0047, 0x0120},
    {'.', 0x0048, 0x1E22},  {'.', 0x0049, 0x0130},  {'.', 0x004D, 0x1E40},  {'.', 0x004E, 0x1E44},
    {'.', 0x004F, 0x022E},  {'.', 0x0050, 0x1E56},  {'.', 0x0052, 0x1E58},  {'.', 0x0053, 0x1E60},
    {'.', 0x0054, 0x1E6A},  {'.', 0x0057, 0x1E86},  {'.', 0x0058, 0x1E8A},  {'.', 0x0059, 0x1E8E},
    {'.', 0x005A, 0x017B},  {'.', 0x0061, 0x0227},  {'.', 0x0062, 0x1E03},  {'.', 0x0063, 0x010B},
    {'.', 0x0064, 0x1E0B},  {'.', 0x0065, 0x0117},  {'.', 0x0066, 0x1E1F},  {'.', 0x0067, 0x0121},
    {'.', 0x0068, 0x1E23},  {'.', 0x006D, 0x1E41},  {'.', 0x006E, 0x1E45},  {'.', 0x006F, 0x022F},
    {'.', 0x0070, 0x1E57},  {'.', 0x0072, 0x1E59},  {'.', 0x0073, 0x1E61},  {'.', 0x0074, 0x1E6B},
    {'.', 0x0077, 0x1E87},  {'.', 0x0078, 0x1E8B},  {'.', 0x0079, 0x1E8F},  {'.', 0x007A, 0x017C},
    {'=', 0x0041, 0x0100},  {'=', 0x0045, 0x0112},  {'=', 0x0047, 0x1E20},  {'=', 0x0049, 0x012A},
    {'=', 0x004F, 0x014C},  {'=', 0x0055, 0x016A},  {'=', 0x0059, 0x0232},  {'=', 0x0061, 0x0101},
    {'=', 0x0065, 0x0113},  {'=', 0x0067, 0x1E21},  {'=', 0x0069, 0x012B},  {'=', 0x006F, 0x014D},
    {'=', 0x0075, 0x016B},  {'=', 0x0079, 0x0233},  {'=', 0x00C4, 0x01DE},  {'=', 0x00C6, 0x01E2},
    {'=', 0x00D5, 0x022C},  {'=', 0x00D6, 0x022A},  {'=', 0x00DC, 0x01D5},  {'=', 0x00E4, 0x01DF},
    {'=', 0x00E6, 0x01E3},  {'=', 0x00F5, 0x022D},  {'=', 0x00F6, 0x022B},  {'=', 0x00FC, 0x01D6},
    {'H', 0x004F, 0x0150},  {'H', 0x0055, 0x0170},  {'H', 0x006F, 0x0151},  {'H', 0x0075, 0x0171},
    {'^', 0x0041, 0x00C2},  {'^', 0x0043, 0x0108},  {'^', 0x0045, 0x00CA},  {'^', 0x0047, 0x011C},
    {'^', 0x0048, 0x0124},  {'^', 0x0049, 0x00CE},  {'^', 0x004A, 0x0134},  {'^', 0x004F, 0x00D4},
    {'^', 0x0053, 0x015C},  {'^', 0x0055, 0x00DB},  {'^', 0x0057, 0x0174},  {'^', 0x0059, 0x0176},
    {'^', 0x005A, 0x1E90},  {'^', 0x0061, 0x00E2},  {'^', 0x0063, 0x0109},  {'^', 0x0065, 0x00EA},
    {'^', 0x0067, 0x011D},  {'^', 0x0068, 0x0125},  {'^', 0x0069, 0x00EE},  {'^', 0x006A, 0x0135},
    {'^', 0x006F, 0x00F4},  {'^', 0x0073, 0x015D},  {'^', 0x0075, 0x00FB},  {'^', 0x0077, 0x0175},
    {'^', 0x0079, 0x0177},  {'^', 0x007A, 0x1E91},  {'`', 0x0041, 0x00C0},  {'`', 0x0045, 0x00C8},
    {'`', 0x0049, 0x00CC},  {'`', 0x004E, 0x01F8},  {'`', 0x004F, 0x00D2},  {'`', 0x0055, 0x00D9},
    {'`', 0x0057, 0x1E80},  {'`', 0x0059, 0x1EF2},  {'`', 0x0061, 0x00E0},  {'`', 0x0065, 0x00E8},
    {'`', 0x0069, 0x00EC},  {'`', 0x006E, 0x01F9},  {'`', 0x006F, 0x00F2},  {'`', 0x0075, 0x00F9},
    {'`', 0x0077, 0x1E81},  {'`', 0x0079, 0x1EF3},  {'`', 0x00C2, 0x1EA6},  {'`', 0x00CA, 0x1EC0},
    {'`', 0x00D4, 0x1ED2},  {'`', 0x00DC, 0x01DB},  {'`', 0x00E2, 0x1EA7},  {'`', 0x00EA, 0x1EC1},
    {'`', 0x00F4, 0x1ED3},  {'`', 0x00FC, 0x01DC},  {'b', 0x0042, 0x1E06},  {'b', 0x0044, 0x1E0E},
    {'b', 0x004B, 0x1E34},  {'b', 0x004C, 0x1E3A},  {'b', 0x004E, 0x1E48},  {'b', 0x0052, 0x1E5E},
    {'b', 0x0054, 0x1E6E},  {'b', 0x005A, 0x1E94},  {'b', 0x0062, 0x1E07},  {'b', 0x0064, 0x1E0F},
    {'b', 0x0068, 0x1E96},  {'b', 0x006B, 0x1E35},  {'b', 0x006C, 0x1E3B},  {'b', 0x006E, 0x1E49},
    {'b', 0x0072, 0x1E5F},  {'b', 0x0074, 0x1E6F},  {'b', 0x007A, 0x1E95},  {'c', 0x0043, 0x00C7},
    {'c', 0x0044, 0x1E10},  {'c', 0x0045, 0x0228},  {'c', 0x0047, 0x0122},  {'c', 0x0048, 0x1E28},
    {'c', 0x004B, 0x0136},  {'c', 0x004C, 0x013B},  {'c', 0x004E, 0x0145},  {'c', 0x0052, 0x0156},
    {'c', 0x0053, 0x015E},  {'c', 0x0054, 0x0162},  {'c', 0x0063, 0x00E7},  {'c', 0x0064, 0x1E11},
    {'c', 0x0065, 0x0229},  {'c', 0x0067, 0x0123},  {'c', 0x0068, 0x1E29},  {'c', 0x006B, 0x0137},
    {'c', 0x006C, 0x013C},  {'c', 0x006E, 0x0146},  {'c', 0x0072, 0x0157},  {'c', 0x0073, 0x015F},
    {'c', 0x0074, 0x0163},  {'d', 0x0041, 0x1EA0},  {'d', 0x0042, 0x1E04},  {'d', 0x0044, 0x1E0C},
    {'d', 0x0045, 0x1EB8},  {'d', 0x0048, 0x1E24},  {'d', 0x0049, 0x1ECA},  {'d', 0x004B, 0x1E32},
    {'d', 0x004C, 0x1E36},  {'d', 0x004D, 0x1E42},  {'d', 0x004E, 0x1E46},  {'d', 0x004F, 0x1ECC},
    {'d', 0x0052, 0x1E5A},  {'d', 0x0053, 0x1E62},  {'d', 0x0054, 0x1E6C},  {'d', 0x0055, 0x1EE4},
    {'d', 0x0056, 0x1E7E},  {'d', 0x0057, 0x1E88},  {'d', 0x0059, 0x1EF4},  {'d', 0x005A, 0x1E92},
    {'d', 0x0061, 0x1EA1},  {'d', 0x0062, 0x1E05},  {'d', 0x0064, 0x1E0D},  {'d', 0x0065, 0x1EB9},
    {'d', 0x0068, 0x1E25},  {'d', 0x0069, 0x1ECB},  {'d', 0x006B, 0x1E33},  {'d', 0x006C, 0x1E37},
    {'d', 0x006D, 0x1E43},  {'d', 0x006E, 0x1E47},  {'d', 0x006F, 0x1ECD},  {'d', 0x0072, 0x1E5B},
    {'d', 0x0073, 0x1E63},  {'d', 0x0074, 0x1E6D},  {'d', 0x0075, 0x1EE5},  {'d', 0x0076, 0x1E7F},
    {'d', 0x0077, 0x1E89},  {'d', 0x0079, 0x1EF5},  {'d', 0x007A, 0x1E93},  {'d', 0x00C2, 0x1EAC},
    {'d', 0x00CA, 0x1EC6},  {'d', 0x00D4, 0x1ED8},  {'d', 0x00E2, 0x1EAD},  {'d', 0x00EA, 0x1EC7},
    {'d', 0x00F4, 0x1ED9},  {'k', 0x0041, 0x0104},  {'k', 0x0045, 0x0118},  {'k', 0x0049, 0x012E},
    {'k', 0x004F, 0x01EA},  {'k', 0x0055, 0x0172},  {'k', 0x0061, 0x0105},  {'k', 0x0065, 0x0119},
    {'k', 0x0069, 0x012F},  {'k', 0x006F, 0x01EB},  {'k', 0x0075, 0x0173},  {'r', 0x0041, 0x00C5},
    {'r', 0x0055, 0x016E},  {'r', 0x0061, 0x00E5},  {'r', 0x0075, 0x016F},  {'r', 0x0077, 0x1E98},
    {'r', 0x0079, 0x1E99},  {'u', 0x0041, 0x0102},  {'u', 0x0045, 0x0114},  {'u', 0x0047, 0x011E},
    {'u', 0x0049, 0x012C},  {'u', 0x004F, 0x014E},  {'u', 0x0055, 0x016C},  {'u', 0x0061, 0x0103},
    {'u', 0x0065, 0x0115},  {'u', 0x0067, 0x011F},  {'u', 0x0069, 0x012D},  {'u', 0x006F, 0x014F},
    {'u', 0x0075, 0x016D},  {'v', 0x0041, 0x01CD},  {'v', 0x0043, 0x010C},  {'v', 0x0044, 0x010E},
    {'v', 0x0045, 0x011A},  {'v', 0x0047, 0x01E6},  {'v', 0x0048, 0x021E},  {'v', 0x0049, 0x01CF},
    {'v', 0x004B, 0x01E8},  {'v', 0x004C, 0x013D},  {'v', 0x004E, 0x0147},  {'v', 0x004F, 0x01D1},
    {'v', 0x0052, 0x0158},  {'v', 0x0053, 0x0160},  {'v', 0x0054, 0x0164},  {'v', 0x0055, 0x01D3},
    {'v', 0x005A, 0x017D},  {'v', 0x0061, 0x01CE},  {'v', 0x0063, 0x010D},  {'v', 0x0064, 0x010F},
    {'v', 0x0065, 0x011B},  {'v', 0x0067, 0x01E7},  {'v', 0x0068, 0x021F},  {'v', 0x0069, 0x01D0},
    {'v', 0x006A, 0x01F0},  {'v', 0x006B, 0x01E9},  {'v', 0x006C, 0x013E},  {'v', 0x006E, 0x0148},
    {'v', 0x006F, 0x01D2},  {'v', 0x0072, 0x0159},  {'v', 0x0073, 0x0161},  {'v', 0x0074, 0x0165},
    {'v', 0x0075, 0x01D4},  {'v', 0x007A, 0x017E},  {'v', 0x00DC, 0x01D9},  {'v', 0x00FC, 0x01DA},
    {'~', 0x0041, 0x00C3},  {'~', 0x0045, 0x1EBC},  {'~', 0x0049, 0x0128},  {'~', 0x004E, 0x00D1},
    {'~', 0x004F, 0x00D5},  {'~', 0x0055, 0x0168},  {'~', 0x0056, 0x1E7C},  {'~', 0x0059, 0x1EF8},
    {'~', 0x0061, 0x00E3},  {'~', 0x0065, 0x1EBD},  {'~', 0x0069, 0x0129},  {'~', 0x006E, 0x00F1},
    {'~', 0x006F, 0x00F5},  {'~', 0x0075, 0x0169},  {'~', 0x0076, 0x1E7D},  {'~', 0x0079, 0x1EF9},
    {'~', 0x00C2, 0x1EAA},  {'~', 0x00CA, 0x1EC4},  {'~', 0x00D4, 0x1ED6},  {'~', 0x00E2, 0x1EAB},
    {'~', 0x00EA, 0x1EC5},  {'~', 0x00F4, 0x1ED7},
};

constexpr bool composition_less(const Composition& a, const Composition& b) {
  auto key = [](const Composition& c) {
    return (static_cast<std::uint64_t>(static_cast<unsigned char>(c.accent)) << 32) | c.base;
  };
  return key(a) < key(b);
}
static_assert(std::is_sorted(std::begin(kCompositions), std::end(kCompositions), composition_less));

struct Accent {
  char tex;
  char32_t combining;  // used when no precomposed character exists
  char32_t spacing;    // what an accent over nothing (\~{}) prints; 0 for nothing
};

constexpr Accent kAccents[] = {
    {'\'', 0x0301, 0x00B4}, {'`', 0x0300, '`'},    {'^', 0x0302, '^'},    {'~', 0x0303, '~'},
    {'"', 0x0308, 0x00A8},  {'=', 0x0304, 0x00AF}, {'.', 0x0307, 0x02D9}, {'u', 0x0306, 0x02D8},
    {'v', 0x030C, 0x02C7},  {'H', 0x030B, 0x02DD}, {'c', 0x0327, 0x00B8}, {'r', 0x030A, 0x02DA},
    {'k', 0x0328, 0x02DB},  {'d', 0x0323, 0},      {'b', 0x0331, 0},      {'t', 0x0361, 0},
};

const Accent* find_accent(char tex) {
  for (const Accent& a : kAccents) {
    if (a.tex == tex) return &a;
  }
  return nullptr;
}

char32_t compose(char accent, char32_t base) {
  const Composition key{accent, base, 0};
  const auto* it =
      std::lower_bound(std::begin(kCompositions), std::end(kCompositions), key, composition_less);
  if (it != std::end(kCompositions) && it->accent == accent && it->base == base) {
    return it->composed;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Control words

enum class Kind : std::uint8_t {
  kText,        // emits `text`
  kLetter,      // emits `text` (a letter such as \ss) and, like TeX, swallows following spaces
                // so that "Bj\o rn" is "Bjørn"; may carry an accent
  kAccent,      // text[0] is the accent character (\c, \v, \H, ...)
  kIgnore,      // emits nothing; a braced argument that follows is kept (\emph{x} -> x)
  kSpace,       // emits a word break (\quad, \par, ...)
  kDelimiter,   // \left, \big, ...: emits nothing and drops a following null delimiter "."
  kDropArg,     // drops itself and one argument (\label{x}, \cite[p.~2]{x})
  kBegin,       // \begin{env}: drops the environment name; math environments start math
  kEnd,         // \end{env}
  kArgs,        // emits nothing; its braced arguments are separated by a space (\binom{n}{k})
  kFrac,        // \frac{a}{b} -> a/b
  kBlackboard,  // \mathbb{R} -> ℝ
  kUrl,         // \url{x}: argument copied verbatim (so ~ and -- survive)
  kHref,        // \href{url}{text}: url verbatim, then the text
};

struct Command {
  std::string_view name;
  Kind kind = Kind::kText;
  std::string_view text;
};

// The tables are packed by hand, one group per table; clang-format would put one entry a line.
// clang-format off
// Letters that have no accent-free ASCII spelling.
constexpr Command kLetters[] = {
    {"aa", Kind::kLetter, "å"}, {"AA", Kind::kLetter, "Å"}, {"o", Kind::kLetter, "ø"},
    {"O", Kind::kLetter, "Ø"}, {"ss", Kind::kLetter, "ß"}, {"SS", Kind::kLetter, "SS"},
    {"l", Kind::kLetter, "ł"}, {"L", Kind::kLetter, "Ł"}, {"ae", Kind::kLetter, "æ"},
    {"AE", Kind::kLetter, "Æ"}, {"oe", Kind::kLetter, "œ"}, {"OE", Kind::kLetter, "Œ"},
    {"i", Kind::kLetter, "ı"}, {"j", Kind::kLetter, "ȷ"}, {"dh", Kind::kLetter, "ð"},
    {"DH", Kind::kLetter, "Ð"}, {"th", Kind::kLetter, "þ"}, {"TH", Kind::kLetter, "Þ"},
    {"dj", Kind::kLetter, "đ"}, {"DJ", Kind::kLetter, "Đ"}, {"ng", Kind::kLetter, "ŋ"},
    {"NG", Kind::kLetter, "Ŋ"}};

// Accents spelled with a letter (the symbol ones, \" \' ..., are control symbols).
constexpr Command kLetterAccents[] = {
    {"c", Kind::kAccent, "c"}, {"v", Kind::kAccent, "v"}, {"H", Kind::kAccent, "H"},
    {"u", Kind::kAccent, "u"}, {"r", Kind::kAccent, "r"}, {"k", Kind::kAccent, "k"},
    {"d", Kind::kAccent, "d"}, {"b", Kind::kAccent, "b"}, {"t", Kind::kAccent, "t"}};

// Text symbols.
constexpr Command kTextSymbols[] = {
    {"ldots", Kind::kText, "…"}, {"dots", Kind::kText, "…"}, {"textellipsis", Kind::kText, "…"},
    {"textendash", Kind::kText, "–"}, {"textemdash", Kind::kText, "—"},
    {"textquoteleft", Kind::kText, "‘"}, {"textquoteright", Kind::kText, "’"},
    {"lq", Kind::kText, "‘"}, {"rq", Kind::kText, "’"}, {"textquotedblleft", Kind::kText, "“"},
    {"textquotedblright", Kind::kText, "”"}, {"guillemotleft", Kind::kText, "«"},
    {"guillemotright", Kind::kText, "»"}, {"textbullet", Kind::kText, "•"},
    {"textasciitilde", Kind::kText, "~"}, {"textasciicircum", Kind::kText, "^"},
    {"textbackslash", Kind::kText, "\\"}, {"textunderscore", Kind::kText, "_"},
    {"textless", Kind::kText, "<"}, {"textgreater", Kind::kText, ">"},
    {"textbar", Kind::kText, "|"}, {"slash", Kind::kText, "/"}, {"textdegree", Kind::kText, "°"},
    {"degree", Kind::kText, "°"}, {"copyright", Kind::kText, "©"},
    {"textcopyright", Kind::kText, "©"}, {"textregistered", Kind::kText, "®"},
    {"texttrademark", Kind::kText, "™"}, {"pounds", Kind::kText, "£"},
    {"textsterling", Kind::kText, "£"}, {"euro", Kind::kText, "€"}, {"texteuro", Kind::kText, "€"},
    {"textperthousand", Kind::kText, "‰"}, {"textmu", Kind::kText, "µ"}, {"S", Kind::kText, "§"},
    {"P", Kind::kText, "¶"}, {"dag", Kind::kText, "†"}, {"dagger", Kind::kText, "†"},
    {"ddag", Kind::kText, "‡"}, {"ddagger", Kind::kText, "‡"}, {"checkmark", Kind::kText, "✓"}};

// Greek. The variant shapes (\varepsilon, \varphi, ...) and TeX's lunate \epsilon and
// stroked \phi become the ordinary letters: the output feeds an index, where ε and ϵ
// being different words would only lose matches.
constexpr Command kGreek[] = {
    {"alpha", Kind::kText, "α"}, {"beta", Kind::kText, "β"}, {"gamma", Kind::kText, "γ"},
    {"delta", Kind::kText, "δ"}, {"epsilon", Kind::kText, "ε"}, {"varepsilon", Kind::kText, "ε"},
    {"zeta", Kind::kText, "ζ"}, {"eta", Kind::kText, "η"}, {"theta", Kind::kText, "θ"},
    {"vartheta", Kind::kText, "θ"}, {"iota", Kind::kText, "ι"}, {"kappa", Kind::kText, "κ"},
    {"varkappa", Kind::kText, "κ"}, {"lambda", Kind::kText, "λ"}, {"mu", Kind::kText, "μ"},
    {"nu", Kind::kText, "ν"}, {"xi", Kind::kText, "ξ"}, {"omicron", Kind::kText, "ο"},
    {"pi", Kind::kText, "π"}, {"varpi", Kind::kText, "π"}, {"rho", Kind::kText, "ρ"},
    {"varrho", Kind::kText, "ρ"}, {"sigma", Kind::kText, "σ"}, {"varsigma", Kind::kText, "ς"},
    {"tau", Kind::kText, "τ"}, {"upsilon", Kind::kText, "υ"}, {"phi", Kind::kText, "φ"},
    {"varphi", Kind::kText, "φ"}, {"chi", Kind::kText, "χ"}, {"psi", Kind::kText, "ψ"},
    {"omega", Kind::kText, "ω"}, {"digamma", Kind::kText, "ϝ"}, {"Alpha", Kind::kText, "Α"},
    {"Beta", Kind::kText, "Β"}, {"Gamma", Kind::kText, "Γ"}, {"varGamma", Kind::kText, "Γ"},
    {"Delta", Kind::kText, "Δ"}, {"varDelta", Kind::kText, "Δ"}, {"Epsilon", Kind::kText, "Ε"},
    {"Zeta", Kind::kText, "Ζ"}, {"Eta", Kind::kText, "Η"}, {"Theta", Kind::kText, "Θ"},
    {"varTheta", Kind::kText, "Θ"}, {"Iota", Kind::kText, "Ι"}, {"Kappa", Kind::kText, "Κ"},
    {"Lambda", Kind::kText, "Λ"}, {"varLambda", Kind::kText, "Λ"}, {"Mu", Kind::kText, "Μ"},
    {"Nu", Kind::kText, "Ν"}, {"Xi", Kind::kText, "Ξ"}, {"varXi", Kind::kText, "Ξ"},
    {"Omicron", Kind::kText, "Ο"}, {"Pi", Kind::kText, "Π"}, {"varPi", Kind::kText, "Π"},
    {"Rho", Kind::kText, "Ρ"}, {"Sigma", Kind::kText, "Σ"}, {"varSigma", Kind::kText, "Σ"},
    {"Tau", Kind::kText, "Τ"}, {"Upsilon", Kind::kText, "Υ"}, {"varUpsilon", Kind::kText, "Υ"},
    {"Phi", Kind::kText, "Φ"}, {"varPhi", Kind::kText, "Φ"}, {"Chi", Kind::kText, "Χ"},
    {"Psi", Kind::kText, "Ψ"}, {"varPsi", Kind::kText, "Ψ"}, {"Omega", Kind::kText, "Ω"},
    {"varOmega", Kind::kText, "Ω"}};

// Math symbols. Function names (\log, \sin, \max, ...) are not listed: the rule for
// unknown commands already turns them into the plain word.
constexpr Command kMathSymbols[] = {
    {"leq", Kind::kText, "≤"}, {"le", Kind::kText, "≤"}, {"leqslant", Kind::kText, "≤"},
    {"geq", Kind::kText, "≥"}, {"ge", Kind::kText, "≥"}, {"geqslant", Kind::kText, "≥"},
    {"neq", Kind::kText, "≠"}, {"ne", Kind::kText, "≠"}, {"approx", Kind::kText, "≈"},
    {"sim", Kind::kText, "∼"}, {"simeq", Kind::kText, "≃"}, {"cong", Kind::kText, "≅"},
    {"equiv", Kind::kText, "≡"}, {"propto", Kind::kText, "∝"}, {"ll", Kind::kText, "≪"},
    {"gg", Kind::kText, "≫"}, {"lesssim", Kind::kText, "≲"}, {"gtrsim", Kind::kText, "≳"},
    {"prec", Kind::kText, "≺"}, {"succ", Kind::kText, "≻"}, {"preceq", Kind::kText, "⪯"},
    {"succeq", Kind::kText, "⪰"}, {"asymp", Kind::kText, "≍"}, {"doteq", Kind::kText, "≐"},
    {"triangleq", Kind::kText, "≜"}, {"coloneqq", Kind::kText, "≔"}, {"times", Kind::kText, "×"},
    {"cdot", Kind::kText, "·"}, {"div", Kind::kText, "÷"}, {"pm", Kind::kText, "±"},
    {"mp", Kind::kText, "∓"}, {"ast", Kind::kText, "∗"}, {"star", Kind::kText, "⋆"},
    {"circ", Kind::kText, "∘"}, {"bullet", Kind::kText, "•"}, {"oplus", Kind::kText, "⊕"},
    {"otimes", Kind::kText, "⊗"}, {"odot", Kind::kText, "⊙"}, {"wedge", Kind::kText, "∧"},
    {"land", Kind::kText, "∧"}, {"vee", Kind::kText, "∨"}, {"lor", Kind::kText, "∨"},
    {"neg", Kind::kText, "¬"}, {"lnot", Kind::kText, "¬"}, {"cap", Kind::kText, "∩"},
    {"cup", Kind::kText, "∪"}, {"bigcap", Kind::kText, "⋂"}, {"bigcup", Kind::kText, "⋃"},
    {"setminus", Kind::kText, "∖"}, {"sum", Kind::kText, "∑"}, {"prod", Kind::kText, "∏"},
    {"coprod", Kind::kText, "∐"}, {"int", Kind::kText, "∫"}, {"iint", Kind::kText, "∬"},
    {"iiint", Kind::kText, "∭"}, {"oint", Kind::kText, "∮"}, {"partial", Kind::kText, "∂"},
    {"nabla", Kind::kText, "∇"}, {"infty", Kind::kText, "∞"}, {"emptyset", Kind::kText, "∅"},
    {"varnothing", Kind::kText, "∅"}, {"forall", Kind::kText, "∀"}, {"exists", Kind::kText, "∃"},
    {"nexists", Kind::kText, "∄"}, {"in", Kind::kText, "∈"}, {"notin", Kind::kText, "∉"},
    {"ni", Kind::kText, "∋"}, {"subset", Kind::kText, "⊂"}, {"subseteq", Kind::kText, "⊆"},
    {"subsetneq", Kind::kText, "⊊"}, {"supset", Kind::kText, "⊃"}, {"supseteq", Kind::kText, "⊇"},
    {"perp", Kind::kText, "⊥"}, {"parallel", Kind::kText, "∥"}, {"mid", Kind::kText, "|"},
    {"vert", Kind::kText, "|"}, {"lvert", Kind::kText, "|"}, {"rvert", Kind::kText, "|"},
    {"Vert", Kind::kText, "‖"}, {"lVert", Kind::kText, "‖"}, {"rVert", Kind::kText, "‖"},
    {"langle", Kind::kText, "⟨"}, {"rangle", Kind::kText, "⟩"}, {"lfloor", Kind::kText, "⌊"},
    {"rfloor", Kind::kText, "⌋"}, {"lceil", Kind::kText, "⌈"}, {"rceil", Kind::kText, "⌉"},
    {"lbrace", Kind::kText, "{"}, {"rbrace", Kind::kText, "}"}, {"backslash", Kind::kText, "\\"},
    {"to", Kind::kText, "→"}, {"rightarrow", Kind::kText, "→"},
    {"longrightarrow", Kind::kText, "⟶"}, {"leftarrow", Kind::kText, "←"},
    {"gets", Kind::kText, "←"}, {"longleftarrow", Kind::kText, "⟵"},
    {"leftrightarrow", Kind::kText, "↔"}, {"Rightarrow", Kind::kText, "⇒"},
    {"Longrightarrow", Kind::kText, "⟹"}, {"implies", Kind::kText, "⟹"},
    {"Leftarrow", Kind::kText, "⇐"}, {"Leftrightarrow", Kind::kText, "⇔"},
    {"iff", Kind::kText, "⟺"}, {"Longleftrightarrow", Kind::kText, "⟺"},
    {"mapsto", Kind::kText, "↦"}, {"uparrow", Kind::kText, "↑"}, {"downarrow", Kind::kText, "↓"},
    {"hookrightarrow", Kind::kText, "↪"}, {"rightleftharpoons", Kind::kText, "⇌"},
    {"sqrt", Kind::kText, "√"}, {"surd", Kind::kText, "√"}, {"ell", Kind::kText, "ℓ"},
    {"hbar", Kind::kText, "ℏ"}, {"aleph", Kind::kText, "ℵ"}, {"Re", Kind::kText, "ℜ"},
    {"Im", Kind::kText, "ℑ"}, {"wp", Kind::kText, "℘"}, {"imath", Kind::kText, "ı"},
    {"jmath", Kind::kText, "ȷ"}, {"angle", Kind::kText, "∠"}, {"triangle", Kind::kText, "△"},
    {"square", Kind::kText, "□"}, {"Box", Kind::kText, "□"}, {"top", Kind::kText, "⊤"},
    {"bot", Kind::kText, "⊥"}, {"vdash", Kind::kText, "⊢"}, {"models", Kind::kText, "⊨"},
    {"prime", Kind::kText, "′"}, {"cdots", Kind::kText, "⋯"}, {"vdots", Kind::kText, "⋮"},
    {"ddots", Kind::kText, "⋱"}, {"colon", Kind::kText, ":"},
    // "a \not= b": a sign rather than nothing, so the negation is not lost.
    {"not", Kind::kText, "¬"}};

// Formatting, sizes and spacing: the command goes, its argument (if any) stays.
constexpr Command kFormatting[] = {
    {"emph", Kind::kIgnore, ""}, {"textbf", Kind::kIgnore, ""}, {"textit", Kind::kIgnore, ""},
    {"texttt", Kind::kIgnore, ""}, {"textrm", Kind::kIgnore, ""}, {"textsc", Kind::kIgnore, ""},
    {"textsf", Kind::kIgnore, ""}, {"textsl", Kind::kIgnore, ""}, {"textup", Kind::kIgnore, ""},
    {"textmd", Kind::kIgnore, ""}, {"textnormal", Kind::kIgnore, ""},
    {"underline", Kind::kIgnore, ""}, {"textsuperscript", Kind::kIgnore, ""},
    {"textsubscript", Kind::kIgnore, ""}, {"mathrm", Kind::kIgnore, ""},
    {"mathbf", Kind::kIgnore, ""}, {"mathit", Kind::kIgnore, ""}, {"mathsf", Kind::kIgnore, ""},
    {"mathtt", Kind::kIgnore, ""}, {"mathcal", Kind::kIgnore, ""}, {"mathfrak", Kind::kIgnore, ""},
    {"mathscr", Kind::kIgnore, ""}, {"mathnormal", Kind::kIgnore, ""},
    {"boldsymbol", Kind::kIgnore, ""}, {"bm", Kind::kIgnore, ""}, {"pmb", Kind::kIgnore, ""},
    {"text", Kind::kIgnore, ""}, {"mbox", Kind::kIgnore, ""}, {"hbox", Kind::kIgnore, ""},
    {"fbox", Kind::kIgnore, ""}, {"ensuremath", Kind::kIgnore, ""},
    {"operatorname", Kind::kIgnore, ""}, {"mathop", Kind::kIgnore, ""},
    {"mathrel", Kind::kIgnore, ""}, {"mathbin", Kind::kIgnore, ""}, {"mathord", Kind::kIgnore, ""},
    {"overline", Kind::kIgnore, ""}, {"hat", Kind::kIgnore, ""}, {"widehat", Kind::kIgnore, ""},
    {"bar", Kind::kIgnore, ""}, {"tilde", Kind::kIgnore, ""}, {"widetilde", Kind::kIgnore, ""},
    {"vec", Kind::kIgnore, ""}, {"dot", Kind::kIgnore, ""}, {"ddot", Kind::kIgnore, ""},
    {"check", Kind::kIgnore, ""}, {"breve", Kind::kIgnore, ""}, {"acute", Kind::kIgnore, ""},
    {"grave", Kind::kIgnore, ""}, {"mathring", Kind::kIgnore, ""},
    {"overrightarrow", Kind::kIgnore, ""}, {"overleftarrow", Kind::kIgnore, ""},
    {"footnote", Kind::kIgnore, ""}, {"thanks", Kind::kIgnore, ""},
    {"em", Kind::kIgnore, ""}, {"it", Kind::kIgnore, ""}, {"bf", Kind::kIgnore, ""},
    {"rm", Kind::kIgnore, ""}, {"sf", Kind::kIgnore, ""}, {"tt", Kind::kIgnore, ""},
    {"sc", Kind::kIgnore, ""}, {"sl", Kind::kIgnore, ""}, {"cal", Kind::kIgnore, ""},
    {"normalfont", Kind::kIgnore, ""}, {"itshape", Kind::kIgnore, ""},
    {"bfseries", Kind::kIgnore, ""}, {"scshape", Kind::kIgnore, ""},
    {"ttfamily", Kind::kIgnore, ""}, {"rmfamily", Kind::kIgnore, ""},
    {"sffamily", Kind::kIgnore, ""}, {"upshape", Kind::kIgnore, ""}, {"slshape", Kind::kIgnore, ""},
    {"mdseries", Kind::kIgnore, ""}, {"boldmath", Kind::kIgnore, ""},
    {"unboldmath", Kind::kIgnore, ""}, {"tiny", Kind::kIgnore, ""},
    {"scriptsize", Kind::kIgnore, ""}, {"footnotesize", Kind::kIgnore, ""},
    {"small", Kind::kIgnore, ""}, {"normalsize", Kind::kIgnore, ""}, {"large", Kind::kIgnore, ""},
    {"Large", Kind::kIgnore, ""}, {"LARGE", Kind::kIgnore, ""}, {"huge", Kind::kIgnore, ""},
    {"Huge", Kind::kIgnore, ""}, {"displaystyle", Kind::kIgnore, ""},
    {"textstyle", Kind::kIgnore, ""}, {"scriptstyle", Kind::kIgnore, ""},
    {"scriptscriptstyle", Kind::kIgnore, ""}, {"limits", Kind::kIgnore, ""},
    {"nolimits", Kind::kIgnore, ""}, {"nonumber", Kind::kIgnore, ""}, {"notag", Kind::kIgnore, ""},
    {"protect", Kind::kIgnore, ""}, {"relax", Kind::kIgnore, ""}, {"centering", Kind::kIgnore, ""},
    {"noindent", Kind::kIgnore, ""}, {"mathstrut", Kind::kIgnore, ""}, {"quad", Kind::kSpace, ""},
    {"qquad", Kind::kSpace, ""}, {"enspace", Kind::kSpace, ""}, {"thinspace", Kind::kSpace, ""},
    {"hfill", Kind::kSpace, ""}, {"newline", Kind::kSpace, ""}, {"linebreak", Kind::kSpace, ""},
    {"par", Kind::kSpace, ""}, {"item", Kind::kSpace, ""}, {"cr", Kind::kSpace, ""},
    {"smallskip", Kind::kSpace, ""}, {"medskip", Kind::kSpace, ""}, {"bigskip", Kind::kSpace, ""},
    {"left", Kind::kDelimiter, ""}, {"right", Kind::kDelimiter, ""},
    {"middle", Kind::kDelimiter, ""}, {"big", Kind::kDelimiter, ""}, {"Big", Kind::kDelimiter, ""},
    {"bigg", Kind::kDelimiter, ""}, {"Bigg", Kind::kDelimiter, ""}, {"bigl", Kind::kDelimiter, ""},
    {"bigr", Kind::kDelimiter, ""}, {"Bigl", Kind::kDelimiter, ""}, {"Bigr", Kind::kDelimiter, ""},
    {"biggl", Kind::kDelimiter, ""}, {"biggr", Kind::kDelimiter, ""},
    {"Biggl", Kind::kDelimiter, ""}, {"Biggr", Kind::kDelimiter, ""}};

// Structure: arguments that are keys or layout, not words.
constexpr Command kStructure[] = {
    {"label", Kind::kDropArg, ""}, {"ref", Kind::kDropArg, ""}, {"eqref", Kind::kDropArg, ""},
    {"pageref", Kind::kDropArg, ""}, {"cite", Kind::kDropArg, ""}, {"citep", Kind::kDropArg, ""},
    {"citet", Kind::kDropArg, ""}, {"citealt", Kind::kDropArg, ""},
    {"autocite", Kind::kDropArg, ""}, {"vspace", Kind::kDropArg, ""},
    {"hspace", Kind::kDropArg, ""}, {"color", Kind::kDropArg, ""},
    {"textcolor", Kind::kDropArg, ""}, {"includegraphics", Kind::kDropArg, ""},
    {"begin", Kind::kBegin, ""}, {"end", Kind::kEnd, ""}};

// Commands whose arguments need more than "keep the text".
constexpr Command kSpecialArguments[] = {
    {"frac", Kind::kFrac, ""}, {"dfrac", Kind::kFrac, ""}, {"tfrac", Kind::kFrac, ""},
    {"cfrac", Kind::kFrac, ""}, {"binom", Kind::kArgs, ""}, {"dbinom", Kind::kArgs, ""},
    {"tbinom", Kind::kArgs, ""}, {"overset", Kind::kArgs, ""}, {"underset", Kind::kArgs, ""},
    {"stackrel", Kind::kArgs, ""}, {"mathbb", Kind::kBlackboard, ""},
    {"mathbbm", Kind::kBlackboard, ""}, {"mathds", Kind::kBlackboard, ""},
    {"Bbb", Kind::kBlackboard, ""}, {"url", Kind::kUrl, ""}, {"nolinkurl", Kind::kUrl, ""},
    {"path", Kind::kUrl, ""}, {"href", Kind::kHref, ""}};
// clang-format on

constexpr bool command_less(const Command& a, const Command& b) { return a.name < b.name; }

// Lookup wants one sorted table; the groups above are for readers.
template <size_t... N>
constexpr auto sorted_commands(const Command (&... groups)[N]) {
  std::array<Command, (N + ...)> all{};
  auto* out = all.begin();
  ((out = std::copy(std::begin(groups), std::end(groups), out)), ...);
  std::sort(all.begin(), all.end(), command_less);
  return all;
}

constexpr auto kCommands =
    sorted_commands(kLetters, kLetterAccents, kTextSymbols, kGreek, kMathSymbols, kFormatting,
                    kStructure, kSpecialArguments);
static_assert(std::adjacent_find(kCommands.begin(), kCommands.end(),
                                 [](const Command& a, const Command& b) {
                                   return a.name == b.name;
                                 }) == kCommands.end(),
              "a command is listed twice");

const Command* find_command(std::string_view name) {
  const Command key{name, Kind::kText, {}};
  const auto* it = std::lower_bound(kCommands.begin(), kCommands.end(), key, command_less);
  return it != kCommands.end() && it->name == name ? &*it : nullptr;
}

// Environments whose body is display math.
bool is_math_environment(std::string_view env) {
  if (!env.empty() && env.back() == '*') env.remove_suffix(1);
  for (std::string_view m : {"equation", "align", "eqnarray", "gather", "multline", "displaymath",
                             "math", "flalign", "alignat"}) {
    if (env == m) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Scanner

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
// ASCII control characters are treated as whitespace rather than copied: nothing downstream
// wants a NUL or a form feed inside a snippet.
bool is_space_like(unsigned char c) { return c <= 0x20 || c == 0x7F; }

// Double-struck capitals that Unicode encodes in the Letterlike Symbols block (ℂ ℍ ℕ ℙ ℚ ℝ ℤ).
// Other letters stay plain ASCII: the Mathematical Alphanumeric forms (𝔸) would make the
// word unsearchable.
char32_t blackboard(char c) {
  switch (c) {
    case 'C':
      return 0x2102;
    case 'H':
      return 0x210D;
    case 'N':
      return 0x2115;
    case 'P':
      return 0x2119;
    case 'Q':
      return 0x211A;
    case 'R':
      return 0x211D;
    case 'Z':
      return 0x2124;
    default:
      return static_cast<unsigned char>(c);
  }
}

// Bounds the lookahead for arguments that are dropped (\label{...}, \begin{...}), so that a
// run of unclosed "\label{" stays linear.
constexpr size_t kMaxSkippedArgument = 256;

enum class Math : std::uint8_t { kNone, kDollar, kDoubleDollar, kDelimited };

// What a closing brace does, pushed when its opening brace is read.
enum class Group : std::uint8_t {
  kPlain,
  kArgument,    // an argument of an unknown or kArgs command: a following {..} gets a space
  kFraction,    // numerator of \frac: a following {..} is preceded by "/"
  kBlackboard,  // argument of \mathbb
};

class Converter {
 public:
  explicit Converter(std::string_view in) : in_(in) { out_.reserve(in.size()); }

  std::string run() {
    while (i_ < in_.size()) step();
    return std::move(out_);
  }

 private:
  bool at(char c) const { return i_ < in_.size() && in_[i_] == c; }
  bool at(size_t k, char c) const { return k < in_.size() && in_[k] == c; }

  void skip_blanks() {
    while (i_ < in_.size() && is_blank(in_[i_])) ++i_;
  }

  // Output. Whitespace is never written directly: it sets pending_space_, which becomes one
  // space before the next visible character, so runs collapse and the ends come out trimmed.
  void space() { pending_space_ = true; }
  void flush_space() {
    if (pending_space_ && !out_.empty()) out_ += ' ';
    pending_space_ = false;
  }
  void emit(std::string_view s) {
    if (s.empty()) return;
    flush_space();
    out_ += s;
  }
  void emit(char c) {
    flush_space();
    out_ += c;
  }
  void emit(char32_t cp) {
    flush_space();
    utf8::append(out_, cp);
  }

  bool in_math() const { return math_ != Math::kNone; }

  void step() {
    const char c = in_[i_];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      // Re-encoding the decoded code point copies valid input byte for byte and turns
      // invalid bytes into U+FFFD, so the output is valid UTF-8 whatever comes in.
      emit(utf8::next(in_, i_));
      return;
    }
    switch (c) {
      case '\\':
        ++i_;
        command();
        return;
      case '{':
        ++i_;
        groups_.push_back(Group::kPlain);
        return;
      case '}':
        ++i_;
        close_group();
        return;
      case '$':
        dollar();
        return;
      case '~':
        ++i_;
        space();
        return;
      case '-':
        dashes();
        return;
      case '`':
        backquote();
        return;
      case '\'':
        quote();
        return;
      case '^':
      case '_':
        // Sub- and superscripts: the marker goes, the (braced) script stays. Outside math
        // they are literal, as in identifiers and URLs.
        ++i_;
        if (!in_math()) emit(c);
        return;
      default:
        ++i_;
        if (is_space_like(u)) {
          space();
        } else if (blackboard_depth_ > 0 && is_letter(c)) {
          emit(blackboard(c));
        } else {
          emit(c);
        }
        return;
    }
  }

  void close_group() {
    if (groups_.empty()) return;  // a stray closing brace
    const Group g = groups_.back();
    groups_.pop_back();
    switch (g) {
      case Group::kPlain:
        break;
      case Group::kArgument:
        if (at('{')) {
          ++i_;
          space();
          groups_.push_back(Group::kArgument);
        }
        break;
      case Group::kFraction:
        if (at('{')) {
          ++i_;
          emit('/');
          groups_.push_back(Group::kPlain);
        }
        break;
      case Group::kBlackboard:
        --blackboard_depth_;
        break;
    }
  }

  void dollar() {
    const bool doubled = at(i_ + 1, '$');
    switch (math_) {
      case Math::kNone:
        i_ += doubled ? 2 : 1;
        math_ = doubled ? Math::kDoubleDollar : Math::kDollar;
        break;
      case Math::kDollar:
        ++i_;
        math_ = Math::kNone;
        break;
      case Math::kDoubleDollar:
        i_ += doubled ? 2 : 1;
        math_ = Math::kNone;
        break;
      case Math::kDelimited:
        ++i_;  // a stray $ inside \( \): dropped
        break;
    }
  }

  // "---" is an em dash and "--" an en dash, as in TeX's text fonts; in math a run of
  // hyphens is minus signs and is left alone.
  void dashes() {
    size_t run = 0;
    while (at(i_ + run, '-')) ++run;
    i_ += run;
    if (in_math()) {
      for (size_t k = 0; k < run; ++k) emit('-');
      return;
    }
    for (; run >= 3; run -= 3) emit(std::string_view("—"));
    if (run == 2) emit(std::string_view("–"));
    if (run == 1) emit('-');
  }

  void backquote() {
    if (in_math()) {
      ++i_;
      emit('`');
    } else if (at(i_ + 1, '`')) {
      i_ += 2;
      emit(std::string_view("“"));
    } else {
      ++i_;
      ++open_single_quotes_;
      emit(std::string_view("‘"));
    }
  }

  // A single ' closes a `quote but is otherwise left as an apostrophe (or a prime in math),
  // so that "don't" and "f'(x)" come out as typed.
  void quote() {
    if (!in_math() && at(i_ + 1, '\'')) {
      i_ += 2;
      emit(std::string_view("”"));
    } else if (!in_math() && open_single_quotes_ > 0) {
      ++i_;
      --open_single_quotes_;
      emit(std::string_view("’"));
    } else {
      ++i_;
      emit('\'');
    }
  }

  // Called with i_ just past a backslash.
  void command() {
    if (i_ >= in_.size()) return;  // a trailing backslash
    const char c = in_[i_];
    if (is_letter(c)) {
      const size_t start = i_;
      while (i_ < in_.size() && is_letter(in_[i_])) ++i_;
      control_word(in_.substr(start, i_ - start));
      return;
    }
    switch (c) {
      case '%':
      case '&':
      case '_':
      case '#':
      case '$':
      case '{':
      case '}':
        ++i_;
        emit(c);
        return;
      case '\'':
      case '`':
      case '^':
      case '~':
      case '"':
      case '=':
      case '.':
        ++i_;
        accent(c);
        return;
      case '\\':  // line break
      case ' ':
      case '\t':
      case '\n':
      case '\r':
      case ',':  // thin, medium and thick spaces
      case ';':
      case ':':
      case '>':
        ++i_;
        space();
        return;
      case '!':  // negative thin space, italic correction, hyphenation hint, sentence spacing
      case '/':
      case '-':
      case '@':
        ++i_;
        return;
      case '(':
      case '[':
        ++i_;
        if (!in_math()) math_ = Math::kDelimited;
        return;
      case ')':
      case ']':
        ++i_;
        math_ = Math::kNone;
        return;
      case '|':
        ++i_;
        emit(std::string_view("‖"));
        return;
      default:
        // Any other control symbol: the backslash goes and the main loop takes the character.
        return;
    }
  }

  void control_word(std::string_view name) {
    const Command* cmd = find_command(name);
    if (cmd == nullptr) {
      unknown_command(name);
      return;
    }
    switch (cmd->kind) {
      case Kind::kText:
        emit(cmd->text);
        return;
      case Kind::kLetter:
        emit(cmd->text);
        skip_blanks();
        return;
      case Kind::kAccent:
        accent(cmd->text[0]);
        return;
      case Kind::kIgnore:
        return;
      case Kind::kSpace:
        space();
        return;
      case Kind::kDelimiter:
        skip_blanks();
        if (at('.')) ++i_;
        return;
      case Kind::kDropArg:
        skip_blanks();
        if (at('[')) skip_bounded('[', ']');
        if (at('{')) skip_bounded('{', '}');
        return;
      case Kind::kBegin:
      case Kind::kEnd:
        environment(cmd->kind == Kind::kBegin);
        return;
      case Kind::kArgs:
        if (at('{')) {
          ++i_;
          groups_.push_back(Group::kArgument);
        }
        return;
      case Kind::kFrac:
        skip_blanks();
        if (at('{')) {
          ++i_;
          groups_.push_back(Group::kFraction);
        }
        return;
      case Kind::kBlackboard:
        skip_blanks();
        if (at('{')) {
          ++i_;
          groups_.push_back(Group::kBlackboard);
          ++blackboard_depth_;
        } else if (i_ < in_.size() && is_letter(in_[i_])) {
          emit(blackboard(in_[i_++]));
        }
        return;
      case Kind::kUrl:
        skip_blanks();
        if (at('{')) verbatim();
        return;
      case Kind::kHref:
        skip_blanks();
        if (at('{')) verbatim();
        if (at('{')) {
          ++i_;
          space();
          groups_.push_back(Group::kPlain);
        }
        return;
    }
  }

  // An unknown command keeps its name (\LaTeX -> LaTeX, \log -> log); a non-empty braced
  // argument is kept too, after a space so the name and the argument stay separate words.
  void unknown_command(std::string_view name) {
    emit(name);
    if (!at('{')) return;
    if (at(i_ + 1, '}')) {
      i_ += 2;  // "\LaTeX{}": the empty group only ends the command name
      return;
    }
    ++i_;
    space();
    groups_.push_back(Group::kArgument);
  }

  // Skips a bracketed argument if it closes within kMaxSkippedArgument bytes; otherwise
  // leaves it to be read as text.
  void skip_bounded(char open, char close) {
    int depth = 0;
    const size_t limit = std::min(in_.size(), i_ + kMaxSkippedArgument);
    for (size_t k = i_; k < limit; ++k) {
      if (in_[k] == open) {
        ++depth;
      } else if (in_[k] == close && --depth == 0) {
        i_ = k + 1;
        return;
      }
    }
  }

  void environment(bool begin) {
    skip_blanks();
    if (!at('{')) return;
    const size_t start = i_ + 1;
    skip_bounded('{', '}');
    if (i_ < start) return;  // not closed: the name is read as text
    if (!is_math_environment(in_.substr(start, i_ - 1 - start))) return;
    if (begin && !in_math()) math_ = Math::kDelimited;
    if (!begin) math_ = Math::kNone;
  }

  // Copies a URL argument as is (only whitespace collapses and bad UTF-8 is repaired): in a
  // URL "~" and "--" are literal. Ends at the matching brace or at the end of the input.
  void verbatim() {
    ++i_;  // the opening brace
    int depth = 1;
    while (i_ < in_.size()) {
      const char c = in_[i_];
      const auto u = static_cast<unsigned char>(c);
      if (u >= 0x80) {
        emit(utf8::next(in_, i_));
        continue;
      }
      ++i_;
      if (c == '{') {
        ++depth;
      } else if (c == '}' && --depth == 0) {
        return;
      }
      if (is_space_like(u)) {
        space();
      } else {
        emit(c);
      }
    }
  }

  // Called with i_ just past the accent command. Accepts \"o, \" o, \"{o}, \c c, \'\i,
  // \'{\i}, \'{\o} and an already non-ASCII base; \~{} prints the accent itself.
  void accent(char tex) {
    const Accent* acc = find_accent(tex);
    if (acc == nullptr) return;  // unreachable: every caller passes an accent from kAccents
    const size_t after_command = i_;
    skip_blanks();
    const bool braced = at('{');
    if (braced) {
      ++i_;
      skip_blanks();
    }
    const char32_t base = accent_base();
    if (base == 0) {
      if (!braced) {
        i_ = after_command;  // nothing to accent ("\'" before punctuation): dropped
      } else if (at('}')) {
        ++i_;
        if (acc->spacing != 0) emit(acc->spacing);
      } else {
        groups_.push_back(Group::kPlain);  // e.g. \"{\foo}: the group is read as text
      }
      return;
    }
    // Dotless i and j take the accent in place of the dot, so \'{\i} is í.
    char32_t lookup = base;
    if (base == 0x0131) lookup = 'i';
    if (base == 0x0237) lookup = 'j';
    char32_t composed = compose(tex, lookup);
    if (composed == 0 && lookup != base) composed = compose(tex, base);
    if (composed != 0) {
      emit(composed);
    } else {
      emit(base);
      emit(acc->combining);
    }
    if (braced) {
      skip_blanks();
      if (at('}')) {
        ++i_;
      } else {
        groups_.push_back(Group::kPlain);  // \v{sc}: the rest of the group is plain text
      }
    }
  }

  // Reads the letter an accent applies to; 0 (consuming nothing) if there is none.
  char32_t accent_base() {
    if (i_ >= in_.size()) return 0;
    const char c = in_[i_];
    if (is_letter(c) || is_digit(c)) {
      ++i_;
      return static_cast<unsigned char>(c);
    }
    if (static_cast<unsigned char>(c) >= 0x80) return utf8::next(in_, i_);
    if (c != '\\') return 0;
    size_t end = i_ + 1;
    while (end < in_.size() && is_letter(in_[end])) ++end;
    const Command* cmd = find_command(in_.substr(i_ + 1, end - i_ - 1));
    if (cmd == nullptr || cmd->kind != Kind::kLetter) return 0;
    size_t k = 0;
    const char32_t letter = utf8::next(cmd->text, k);
    if (k != cmd->text.size()) return 0;  // \SS is two letters
    i_ = end;
    skip_blanks();
    return letter;
  }

  std::string_view in_;
  size_t i_ = 0;
  std::string out_;
  bool pending_space_ = false;
  Math math_ = Math::kNone;
  std::vector<Group> groups_;  // open braces, innermost last; a vector, so depth is unbounded
  int blackboard_depth_ = 0;
  int open_single_quotes_ = 0;
};

}  // namespace

std::string tex_to_text(std::string_view tex) { return Converter(tex).run(); }

}  // namespace pb::text
