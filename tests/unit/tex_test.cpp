#include "text/tex.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.hpp"

namespace pb::text {
namespace {

// One conversion: a new rule or a regression needs only a new row.
struct Case {
  std::string_view input;
  std::string_view expected;
};

// Shown by GoogleTest when a case fails, instead of a byte dump.
void PrintTo(const Case& c, std::ostream* os) { *os << '"' << c.input << '"'; }

const std::vector<Case> kCases = {
    // Accents, every spelling of the same letter.
    {R"({\"o})", "ö"},
    {R"(\"{o})", "ö"},
    {R"(\"o)", "ö"},
    {R"(\" o)", "ö"},
    {R"(\'e)", "é"},
    {R"({\'e})", "é"},
    {R"(\'{e})", "é"},
    {R"(\`a)", "à"},
    {R"(\^o)", "ô"},
    {R"(\~n)", "ñ"},
    {R"(\c{c})", "ç"},
    {R"(\c c)", "ç"},
    {R"(\c{C})", "Ç"},
    {R"(\v{s})", "š"},
    {R"(\v s)", "š"},
    {R"(\v{C})", "Č"},
    {R"(\H{o})", "ő"},
    {R"(\H{U})", "Ű"},
    {R"(\u{a})", "ă"},
    {R"(\u{g})", "ğ"},
    {R"(\={a})", "ā"},
    {R"(\=e)", "ē"},
    {R"(\.{z})", "ż"},
    {R"(\.I)", "İ"},
    {R"(\r{a})", "å"},
    {R"(\r{u})", "ů"},
    {R"(\k{a})", "ą"},
    {R"(\k{e})", "ę"},
    {R"(\d{a})", "ạ"},
    {R"(\b{k})", "ḵ"},
    {R"(\'{\i})", "í"},
    {R"(\'\i)", "í"},
    {R"(\"{\i})", "ï"},
    {R"(\v{\i})", "ǐ"},
    {R"(\'{\o})", "ǿ"},
    {R"(\'{ e })", "é"},
    {R"(\"{U}ber)", "Über"},
    // No precomposed form: base letter plus combining mark.
    {R"(\H{x})", "x\u030B"},
    {R"(\t{oo})", "o\u0361o"},
    {R"(\'{\j})", "\u0237\u0301"},
    // An accent over nothing prints the accent itself; before punctuation it is dropped.
    {R"(\~{})", "~"},
    {R"(\^{})", "^"},
    {R"(\"{})", "¨"},
    {R"(a\'.)", "a."},

    // Letters without an ASCII spelling; like TeX, a control word eats the spaces after it.
    {R"(\aa)", "å"},
    {R"(\AA)", "Å"},
    {R"(\o)", "ø"},
    {R"(\O)", "Ø"},
    {R"(\ss)", "ß"},
    {R"(\l)", "ł"},
    {R"(\L)", "Ł"},
    {R"(\ae)", "æ"},
    {R"(\AE)", "Æ"},
    {R"(\oe)", "œ"},
    {R"(\OE)", "Œ"},
    {R"(\i)", "ı"},
    {R"(\j)", "ȷ"},
    {R"(Bj\o rn)", "Bjørn"},
    {R"(Stra{\ss}e)", "Straße"},
    {R"(\AA ngstr\"om)", "Ångström"},
    {R"(\L{}\'od\'z)", "Łódź"},

    // Dashes, quotes, ties.
    {"--", "–"},
    {"---", "—"},
    {"----", "—-"},
    {"a-b", "a-b"},
    {"pages 3--5", "pages 3–5"},
    {"yes---no", "yes—no"},
    {"``x''", "“x”"},
    {"`x'", "‘x’"},
    {"don't", "don't"},
    {"``Don't panic''", "“Don't panic”"},
    {"Fig.~1", "Fig. 1"},
    {"a~~b", "a b"},

    // Formatting commands keep their argument.
    {R"(\emph{x})", "x"},
    {R"(\textbf{x})", "x"},
    {R"(\textit{x})", "x"},
    {R"(\texttt{x})", "x"},
    {R"(\textrm{x})", "x"},
    {R"(\textsc{x})", "x"},
    {R"(\textsf{x})", "x"},
    {R"(\mathrm{x})", "x"},
    {R"(\mathbf{x})", "x"},
    {R"(\mathcal{x})", "x"},
    {R"(\text{x})", "x"},
    {R"(\mbox{x})", "x"},
    {R"({\em x})", "x"},
    {R"({\bf bold} text)", "bold text"},
    {R"(a \emph{very} good idea)", "a very good idea"},
    {R"(\url{http://x.org/~user/a--b_c})", "http://x.org/~user/a--b_c"},
    {R"(see \url{https://github.com/a/b}.)", "see https://github.com/a/b."},
    {R"(\href{http://x.org}{our code})", "http://x.org our code"},
    {R"(\textcolor{red}{warm})", "warm"},
    {R"(as shown in \cite{smith2020} and Fig.~\ref{fig:1})", "as shown in and Fig."},
    {R"(\cite[Thm.~2]{smith} says)", "says"},
    {R"(a\label{eq:1} b)", "a b"},

    // Math: delimiters dropped, content kept.
    {"$x$", "x"},
    {"$...$", "..."},
    {"$$x$$", "x"},
    {R"(\(x\))", "x"},
    {R"(\[x\])", "x"},
    {"$a$$b$", "ab"},
    {"the $n$-body problem", "the n-body problem"},
    {R"($O(n \log n)$)", "O(n log n)"},
    {"$10^{-3}$", "10-3"},
    {"$x^{2}$", "x2"},
    {"$x^2 + y_i$", "x2 + yi"},
    {"$a_{i,j}$", "ai,j"},
    {"$a--b$", "a--b"},
    {"$f'(x)$ and $f''$", "f'(x) and f''"},
    {R"($E = mc^2$)", "E = mc2"},
    {R"($\frac{1}{2}$)", "1/2"},
    {R"($\frac{n}{\log n}$)", "n/log n"},
    {R"($\binom{n}{k}$)", "n k"},
    {R"($\sqrt{2}$)", "√2"},
    {R"($\hat{x}$ and $\vec v$)", "x and v"},
    {R"($\left( x \right.$)", "( x"},
    {R"($\{x\}$)", "{x}"},
    {R"($\mathbb{R}$)", "ℝ"},
    {R"($\mathbb{N}$ $\mathbb{Z}$ $\mathbb{Q}$ $\mathbb{C}$)", "ℕ ℤ ℚ ℂ"},
    {R"($\mathbb R^n$)", "ℝn"},
    {R"($\mathbb{R}^{d \times d}$)", "ℝd × d"},
    {R"($\mathbb{E}[X]$)", "E[X]"},
    {R"($\mathcal{O}(1)$)", "O(1)"},
    {R"($x \in \mathbb{R}$)", "x ∈ ℝ"},
    {R"($\mathrm{km\,s^{-1}}$)", "km s-1"},
    {R"(\begin{equation} a_1 -- b \end{equation} -- c)", "a1 -- b – c"},
    {R"(\begin{abstract}Text.\end{abstract})", "Text."},

    // Math symbols.
    {R"($\alpha \beta \gamma \delta \epsilon \zeta \eta \theta$)", "α β γ δ ε ζ η θ"},
    {R"($\iota \kappa \lambda \mu \nu \xi \pi \rho$)", "ι κ λ μ ν ξ π ρ"},
    {R"($\sigma \tau \upsilon \phi \chi \psi \omega$)", "σ τ υ φ χ ψ ω"},
    {R"($\Gamma \Delta \Theta \Lambda \Xi \Pi \Sigma \Upsilon \Phi \Psi \Omega$)",
     "Γ Δ Θ Λ Ξ Π Σ Υ Φ Ψ Ω"},
    {R"($\varepsilon \vartheta \varphi \varrho \varsigma$)", "ε θ φ ρ ς"},
    {R"($\leq \geq \neq \approx \sim \times \cdot \pm \infty$)", "≤ ≥ ≠ ≈ ∼ × · ± ∞"},
    {R"($\le \ge \ne$)", "≤ ≥ ≠"},
    {R"($\rightarrow \to \leftarrow \Rightarrow$)", "→ → ← ⇒"},
    {R"($\in \notin \subset \subseteq \cup \cap$)", "∈ ∉ ⊂ ⊆ ∪ ∩"},
    {R"($\sum \prod \int \partial \nabla \sqrt \ell \hbar$)", "∑ ∏ ∫ ∂ ∇ √ ℓ ℏ"},
    {R"($\forall \exists \emptyset \langle x \rangle$)", "∀ ∃ ∅ ⟨ x ⟩"},
    {R"($\log \sin \cos \exp \min \max$)", "log sin cos exp min max"},
    {R"($\sin{x}$)", "sin x"},
    {R"($a \not= b$)", "a ¬= b"},
    {R"($\alpha$-helix)", "α-helix"},
    {R"(\ldots and \dots)", "… and …"},

    // Escaped specials and braces.
    {R"(\%)", "%"},
    {R"(\&)", "&"},
    {R"(\_)", "_"},
    {R"(\#)", "#"},
    {R"(\$)", "$"},
    {R"(\{)", "{"},
    {R"(\})", "}"},
    {R"(costs \$5 or 10\%)", "costs $5 or 10%"},
    {"{a}{b}", "ab"},
    {"{{nested}}", "nested"},
    {"a}b", "ab"},
    {"snake_case^2", "snake_case^2"},

    // Whitespace.
    {"a\nb", "a b"},
    {"a\r\nb", "a b"},
    {"a \t\n  b", "a b"},
    {"  padded  ", "padded"},
    {"\n\nx\n\n", "x"},
    {"a\\\\b", "a b"},
    {"a \\\\ b", "a b"},
    {R"(a\ b)", "a b"},
    {R"(a\quad b)", "a b"},
    {R"(10\,km)", "10 km"},
    {"a\x01"
     "b",
     "a b"},
    {"", ""},
    {" ", ""},

    // Unknown commands keep their name, and their argument as a separate word.
    {R"(\foo)", "foo"},
    {R"(\foo bar)", "foo bar"},
    {R"(\foo{bar})", "foo bar"},
    {R"(\foo{bar}{baz})", "foo bar baz"},
    {R"(\LaTeX{} is nice)", "LaTeX is nice"},
    {R"(\TeX)", "TeX"},
    {R"(\foo\qux)", "fooqux"},
    {R"(\9)", "9"},

    // Text that is already Unicode passes through.
    {"Schrödinger – naïve café", "Schrödinger – naïve café"},
    {"量子计算 😀 Ελληνικά", "量子计算 😀 Ελληνικά"},
    {"ö\u00A0ä", "ö\u00A0ä"},
    {"plain ASCII text, 42.", "plain ASCII text, 42."},

    // Real arXiv titles and abstracts.
    {R"(Schr{\"o}dinger equation)", "Schrödinger equation"},
    {R"(G\"odel)", "Gödel"},
    {R"(Erd\H{o}s)", "Erdős"},
    {R"(Caf\'{e})", "Café"},
    {R"(10--20\% faster)", "10–20% faster"},
    {R"(Poincar\'e--Birkhoff--Witt theorem)", "Poincaré–Birkhoff–Witt theorem"},
    {R"(Kullback--Leibler divergence)", "Kullback–Leibler divergence"},
    {R"(Erd\H{o}s--R\'{e}nyi graphs)", "Erdős–Rényi graphs"},
    {R"(Schr\"{o}dinger)", "Schrödinger"},
    {R"(B\"acklund transformations)", "Bäcklund transformations"},
    {R"(Pr\'ekopa--Leindler)", "Prékopa–Leindler"},
    {R"(\L{}ukasiewicz and \L ukasiewicz)", "Łukasiewicz and Łukasiewicz"},
    {R"(Ces\`aro means)", "Cesàro means"},
    {R"(S\~ao Paulo)", "São Paulo"},
    {R"(Ho\v{r}ava--Lifshitz gravity)", "Hořava–Lifshitz gravity"},
    {"We study the\n  $\\mathcal{N}=4$ super Yang--Mills theory\n  at strong coupling.",
     "We study the N=4 super Yang–Mills theory at strong coupling."},
    {R"(a $\Lambda$CDM cosmology with $H_0 \approx 70\,\mathrm{km\,s^{-1}\,Mpc^{-1}}$)",
     "a ΛCDM cosmology with H0 ≈ 70 km s-1 Mpc-1"},
    {R"(achieves $\tilde{O}(\sqrt{T})$ regret)", "achieves O(√T) regret"},
    {R"(an $\epsilon$-greedy policy with $\epsilon \in (0,1)$)",
     "an ε-greedy policy with ε ∈ (0,1)"},
    {R"(the $L^2$ norm $\|f\|_{L^2}$)", "the L2 norm ‖f‖L2"},
    {R"(\textit{ab initio} calculations)", "ab initio calculations"},
    {R"(Code: \url{https://github.com/foo/bar})", "Code: https://github.com/foo/bar"},

    // Broken input degrades without losing the text.
    {"{", ""},
    {"{unbalanced", "unbalanced"},
    {"unbalanced}", "unbalanced"},
    {"\\", ""},
    {"trailing\\", "trailing"},
    {"$", ""},
    {"lone $ dollar", "lone dollar"},
    {"$$", ""},
    {R"(\")", ""},
    {R"(\c)", ""},
    {R"(\'{)", ""},
    {R"(\"{\foo}x)", "foox"},
    {R"(\frac{a)", "a"},
    {R"(\mathbb{R)", "ℝ"},
    {R"(\url{abc)", "abc"},
    {R"(\href{x)", "x"},
    {R"(\begin{)", ""},
    {R"(\begin{equation)", "equation"},
    {R"(\label{x y)", "x y"},
    {R"(\left)", ""},
    {R"(\))", ""},
    {R"(\])", ""},
    {"\\\\\\", ""},
};

class TexCase : public testing::TestWithParam<Case> {};

TEST_P(TexCase, Converts) {
  const Case& c = GetParam();
  const std::string out = tex_to_text(c.input);
  EXPECT_EQ(out, c.expected) << "input: " << c.input;
  EXPECT_TRUE(utf8::valid(out));
}

INSTANTIATE_TEST_SUITE_P(Table, TexCase, testing::ValuesIn(kCases));

// Properties that every output has, whatever the input.
void expect_well_formed(const std::string& out) {
  ASSERT_TRUE(utf8::valid(out));
  if (out.empty()) return;
  EXPECT_NE(out.front(), ' ');
  EXPECT_NE(out.back(), ' ');
  EXPECT_EQ(out.find("  "), std::string::npos);
  for (char c : out) EXPECT_FALSE(c == '\n' || c == '\t' || c == '\r');
}

TEST(Tex, MegabyteOfRandomMarkupIsHandled) {
  // Single characters and fragments chosen to hit every branch, in random order.
  const std::vector<std::string_view> pieces = {
      "\\",      "{",      "}",        "$",      "$$",        "^",        "_",       "~",
      "-",       "`",      "'",        "\"",     "=",         ".",        "%",       "&",
      "#",       " ",      "\n",       "a",      "b",         "Z",        "x",       "1",
      "ö",       "日",     "\\(",      "\\)",    "\\[",       "\\]",      "\\\\",    "\\'",
      "\\\"",    "\\c",    "\\v",      "\\i",    "\\o",       "\\ss",     "\\frac",  "\\mathbb",
      "\\url",   "\\href", "\\begin{", "\\end{", "equation}", "\\label{", "\\cite[", "\\left",
      "\\alpha", "\\foo",  "\\emph",   "\\~{}",  "\\%",       "\\$",      "\\{",     "\\}"};
  std::mt19937 rng(20240601);
  std::string in;
  while (in.size() < (1u << 20)) in += pieces[rng() % pieces.size()];
  const std::string out = tex_to_text(in);
  expect_well_formed(out);
  EXPECT_LE(out.size(), in.size() * 3);
}

TEST(Tex, RandomAsciiBytesAreHandled) {
  std::mt19937 rng(7);
  const std::string_view alphabet = "\\{}$^_~-`'\"=.,;:!()[]|%&#@ \n\tabcijloszABCHLOS019";
  for (int round = 0; round < 2000; ++round) {
    std::string in(rng() % 40, ' ');
    for (char& c : in) c = alphabet[rng() % alphabet.size()];
    expect_well_formed(tex_to_text(in));
  }
}

TEST(Tex, InvalidUtf8IsRepaired) {
  EXPECT_EQ(tex_to_text("a\xff"
                        "b"),
            "a\uFFFDb");
  EXPECT_EQ(tex_to_text("\\'\xC3"), "\uFFFD\u0301");
  EXPECT_EQ(tex_to_text("\\url{\xE2\x82}"), "\uFFFD\uFFFD");
  std::mt19937 rng(3);
  for (int round = 0; round < 2000; ++round) {
    std::string in(rng() % 40, ' ');
    for (char& c : in) c = static_cast<char>(rng());
    expect_well_formed(tex_to_text(in));
  }
}

TEST(Tex, EveryPrefixOfTheCasesIsHandled) {
  // Cuts inside commands, groups, math and multi-byte characters.
  for (const Case& c : kCases) {
    for (size_t n = 0; n <= c.input.size(); ++n)
      expect_well_formed(tex_to_text(c.input.substr(0, n)));
  }
}

TEST(Tex, PlainTextIsUnchanged) {
  // Letters, digits, punctuation without TeX meaning and non-ASCII text: nothing to convert.
  const std::vector<std::string_view> words = {"graph",    "neural", "42", "3.14", "(a,b)", "naïve",
                                               "Ökonomie", "量子",   "α",  "x/y",  "a+b=c", "😀"};
  std::mt19937 rng(11);
  for (int round = 0; round < 200; ++round) {
    std::string in;
    for (int k = rng() % 12; k > 0; --k) {
      if (!in.empty()) in += ' ';
      in += words[rng() % words.size()];
    }
    EXPECT_EQ(tex_to_text(in), in);
  }
}

TEST(Tex, PathologicalRepetitionsStayLinear) {
  // Each of these would be quadratic with unbounded lookahead or backtracking; 256 KiB of
  // them finishing at all (quadratic would take minutes) is the test.
  for (std::string_view unit : {"{", "}", "\\label{", "\\begin{", "\\cite[", "\\'", "\\' ", "$",
                                "\\frac{", "\\mathbb{", "\\foo{", "--", "\\url{", "\\\"{\\foo"}) {
    std::string in;
    while (in.size() < (1u << 18)) in += unit;
    expect_well_formed(tex_to_text(in));
  }
}

TEST(Tex, DeepNestingNeedsNoRecursion) {
  const std::string in = std::string(1 << 20, '{') + "x" + std::string(1 << 20, '}');
  EXPECT_EQ(tex_to_text(in), "x");
}

}  // namespace
}  // namespace pb::text
