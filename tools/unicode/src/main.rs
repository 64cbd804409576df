//! Writes runtime/src/tokenizer/unicode_tables.c: the Unicode data crossbyte's WordPiece
//! tokenizer needs, computed by calling exactly the functions that Hugging Face
//! tokenizers 0.23.x calls (its src/normalizers/bert.rs and
//! src/pre_tokenizers/bert.rs), so the C code agrees code point by code point,
//! including the crates' own (old) Unicode versions:
//!
//!   * unicode_categories 0.1.1: is_other (Cc|Cf|Co, not Cn), is_punctuation,
//!     is_mark_nonspacing;
//!   * unicode-normalization-alignments 0.1.12: nfd() (full canonical
//!     decomposition, Hangul, canonical ordering by combining class);
//!   * Rust std (the rustc that builds this): char::is_whitespace,
//!     char::is_ascii_punctuation, char::to_lowercase;
//!   * onig 6.5.3 / onig_sys 69.9.3 (Oniguruma 6.9.10): the classes \p{L},
//!     \p{N} and \s of ByteLevel's GPT-2 regex (src/pre_tokenizers/byte_level.rs),
//!     which tokenizers compiles with onig::Regex::new.
//!
//! Usage: cargo run --release -- OUTPUT.c

use std::fmt::Write as _;
use std::fs;

use onig::Regex;
use unicode_categories::UnicodeCategories;
use unicode_normalization_alignments::char::canonical_combining_class;
use unicode_normalization_alignments::UnicodeNormalization;

// Flag bits; unicode.h declares the same values.
const F_WHITESPACE: u8 = 1; // BertNormalizer's is_whitespace
const F_STD_WHITESPACE: u8 = 2; // char::is_whitespace (BertPreTokenizer's split)
const F_CONTROL: u8 = 4; // BertNormalizer's is_control
const F_PUNCT: u8 = 8; // BertPreTokenizer's is_bert_punc
const F_MN: u8 = 16; // is_mark_nonspacing (strip_accents)
const F_CJK: u8 = 32; // BertNormalizer's is_chinese_char

// Copied from tokenizers 0.23.2 src/normalizers/bert.rs.
fn bert_is_whitespace(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' => true,
        _ => c.is_whitespace(),
    }
}

fn bert_is_control(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' => false,
        _ => c.is_other(),
    }
}

fn is_chinese_char(c: char) -> bool {
    matches!(
        c as usize,
        0x4E00..=0x9FFF
            | 0x3400..=0x4DBF
            | 0x20000..=0x2A6DF
            | 0x2A700..=0x2B73F
            | 0x2B740..=0x2B81F
            | 0x2B920..=0x2CEAF
            | 0xF900..=0xFAFF
            | 0x2F800..=0x2FA1F
    )
}

// Copied from tokenizers 0.23.2 src/pre_tokenizers/bert.rs.
fn is_bert_punc(x: char) -> bool {
    char::is_ascii_punctuation(&x) || x.is_punctuation()
}

fn flags(c: char) -> u8 {
    let mut f = 0;
    if bert_is_whitespace(c) {
        f |= F_WHITESPACE;
    }
    if c.is_whitespace() {
        f |= F_STD_WHITESPACE;
    }
    if bert_is_control(c) {
        f |= F_CONTROL;
    }
    if is_bert_punc(c) {
        f |= F_PUNCT;
    }
    if c.is_mark_nonspacing() {
        f |= F_MN;
    }
    if is_chinese_char(c) {
        f |= F_CJK;
    }
    f
}

// Classes of ByteLevel's regex `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+|
// ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`; unicode.h declares the same values.
const G_LETTER: u8 = 1; // \p{L}
const G_NUMBER: u8 = 2; // \p{N}
const G_SPACE: u8 = 3; // \s

/// Asks Oniguruma itself, through the regex API tokenizers uses (same syntax,
/// same options), which class each code point belongs to.
struct Gpt2Classes {
    letter: Regex,
    number: Regex,
    space: Regex,
}

impl Gpt2Classes {
    fn new() -> Self {
        Gpt2Classes {
            letter: Regex::new(r"\p{L}").unwrap(),
            number: Regex::new(r"\p{N}").unwrap(),
            space: Regex::new(r"\s").unwrap(),
        }
    }

    fn class(&self, c: char) -> u8 {
        let s = c.to_string();
        // is_match anchors at both ends: the one code point is in the class.
        let l = self.letter.is_match(&s);
        let n = self.number.is_match(&s);
        let w = self.space.is_match(&s);
        // gpt2_split.c relies on the three being disjoint.
        assert!(
            (l as u8) + (n as u8) + (w as u8) <= 1,
            "U+{:04X} is in several GPT-2 classes",
            c as u32
        );
        if l {
            G_LETTER
        } else if n {
            G_NUMBER
        } else if w {
            G_SPACE
        } else {
            0
        }
    }
}

fn all_chars() -> impl Iterator<Item = char> {
    (0u32..=0x10FFFF).filter_map(char::from_u32)
}

/// Runs of consecutive code points with the same non-zero value; surrogates
/// (not chars) break nothing because they never reach a lookup.
fn runs(value: impl Fn(char) -> u8) -> Vec<(u32, u32, u8)> {
    let mut out: Vec<(u32, u32, u8)> = Vec::new();
    for c in all_chars() {
        let v = value(c);
        if v == 0 {
            continue;
        }
        let cp = c as u32;
        if let Some(last) = out.last_mut() {
            // 0xD7FF -> 0xE000 is contiguous as far as chars go.
            let next = if last.1 == 0xD7FF { 0xE000 } else { last.1 + 1 };
            if last.2 == v && next == cp {
                last.1 = cp;
                continue;
            }
        }
        out.push((cp, cp, v));
    }
    out
}

const HANGUL_S_BASE: u32 = 0xAC00;
const HANGUL_S_COUNT: u32 = 11172;

/// The algorithmic Hangul decomposition the C side implements; checked here
/// against the crate for every syllable.
fn hangul(cp: u32) -> Vec<u32> {
    let s = cp - HANGUL_S_BASE;
    let mut v = vec![0x1100 + s / (21 * 28), 0x1161 + (s % (21 * 28)) / 28];
    if s % 28 != 0 {
        v.push(0x11A7 + s % 28);
    }
    v
}

fn main() {
    let out_path = std::env::args()
        .nth(1)
        .expect("usage: crossbyte-unicode-gen OUTPUT.c");

    let flag_runs = runs(flags);
    let gpt2 = Gpt2Classes::new();
    let gpt2_runs = runs(|c| gpt2.class(c));
    let onig_version = onig::version();
    // The Unicode version below is Oniguruma 6.9.10's (UNICODE_PROPERTY_VERSION
    // in its unicode_property_data.c); another version may classify differently.
    assert_eq!(onig_version, "6.9.10", "the tokenizers 0.23.x wheels link Oniguruma 6.9.10");
    let ccc_runs = runs(canonical_combining_class);

    // NFD of each single code point, as NormalizedString::nfd() computes it.
    let mut decomps: Vec<(u32, Vec<u32>)> = Vec::new();
    let mut pool_len = 0usize;
    let mut max_decomp = 0usize;
    for c in all_chars() {
        let s = c.to_string();
        let d: Vec<u32> = s.as_str().nfd().map(|(ch, _)| ch as u32).collect();
        let cp = c as u32;
        if (HANGUL_S_BASE..HANGUL_S_BASE + HANGUL_S_COUNT).contains(&cp) {
            assert_eq!(d, hangul(cp), "Hangul decomposition of U+{:04X}", cp);
            continue;
        }
        if d.len() == 1 && d[0] == cp {
            continue;
        }
        // Stored already ordered; unicode.c reorders the whole text again,
        // which gives the crate's result because a stable sort does not
        // change the relative order of equal classes within one entry.
        max_decomp = max_decomp.max(d.len());
        pool_len += d.len();
        decomps.push((cp, d));
    }
    assert!(pool_len < 65536, "pool offsets are 16-bit");
    // unicode.c answers these ranges without a table search.
    assert!(decomps[0].0 >= 0xC0, "unicode.c assumes nothing below U+00C0 decomposes");
    assert!(ccc_runs[0].0 >= 0x300, "unicode.c assumes no combining class below U+0300");
    for c in all_chars() {
        let l: Vec<char> = c.to_lowercase().collect();
        if (c as u32) < 128 {
            assert_eq!(l, vec![c.to_ascii_lowercase()], "unicode.c lowercases ASCII itself");
        }
    }

    // char::to_lowercase where it is not the identity.
    let mut lower1: Vec<(u32, u32)> = Vec::new();
    let mut lowerm: Vec<(u32, Vec<u32>)> = Vec::new();
    for c in all_chars() {
        let l: Vec<u32> = c.to_lowercase().map(|x| x as u32).collect();
        if l.len() == 1 {
            if l[0] != c as u32 {
                lower1.push((c as u32, l[0]));
            }
        } else {
            assert!(l.len() <= 3);
            lowerm.push((c as u32, l));
        }
    }

    // std's case tables follow the rustc that builds this program. The
    // tokenizers 0.23.2 wheels that produced the reference fixtures lowercase
    // every code point exactly as Unicode 17.0 does (checked code point by
    // code point against the wheel), so another version would silently
    // change results: refuse it.
    let (uv_major, uv_minor, uv_update) = char::UNICODE_VERSION;
    assert!(
        (uv_major, uv_minor) == (17, 0),
        "rustc's std is Unicode {}.{}.{}; the reference tokenizers build uses 17.0",
        uv_major,
        uv_minor,
        uv_update
    );
    let (nv_major, nv_minor, nv_update) = unicode_normalization_alignments::UNICODE_VERSION;

    let mut o = String::new();
    writeln!(o, "/* unicode_tables.c: GENERATED by tools/unicode, do not edit.").unwrap();
    writeln!(o, " *").unwrap();
    writeln!(o, " * Regenerate (from the repository root):").unwrap();
    writeln!(o, " *     CARGO_TARGET_DIR=/tmp/unicode-gen-target cargo run --release \\").unwrap();
    writeln!(o, " *         --manifest-path tools/unicode/Cargo.toml -- runtime/src/tokenizer/unicode_tables.c").unwrap();
    writeln!(o, " *").unwrap();
    writeln!(o, " * Computed with the functions Hugging Face tokenizers 0.23.x calls:").unwrap();
    writeln!(o, " *   unicode_categories 0.1.1 (is_other, is_punctuation, is_mark_nonspacing),").unwrap();
    writeln!(
        o,
        " *   unicode-normalization-alignments 0.1.12 (nfd, combining classes; Unicode {}.{}.{}),",
        nv_major, nv_minor, nv_update
    )
    .unwrap();
    writeln!(
        o,
        " *   Rust std (char::is_whitespace, is_ascii_punctuation, to_lowercase; Unicode {}.{}.{}).",
        uv_major, uv_minor, uv_update
    )
    .unwrap();
    writeln!(
        o,
        " *   onig 6.5.3 / onig_sys 69.9.3 (Oniguruma {}, Unicode 16.0.0): \\p{{L}}, \\p{{N}}, \\s of ByteLevel's regex.",
        onig_version
    )
    .unwrap();
    writeln!(o, " * The lowercase tables match the tokenizers 0.23.2 wheels code point by code point.").unwrap();
    writeln!(o, " * Hangul syllables are decomposed algorithmically in unicode.c, not listed here. */").unwrap();
    writeln!(o, "#include \"unicode_tables.h\"\n").unwrap();

    writeln!(o, "/* CB_U_* flags of ASCII, looked up directly. */").unwrap();
    writeln!(o, "const uint8_t cb_uflags_ascii[128] = {{").unwrap();
    for row in 0..8u32 {
        let cells: Vec<String> = (0..16u32)
            .map(|i| flags(char::from_u32(row * 16 + i).unwrap()).to_string())
            .collect();
        writeln!(o, "{},", cells.join(",")).unwrap();
    }
    writeln!(o, "}};\n").unwrap();

    writeln!(o, "/* Code point runs with non-zero CB_U_* flags, sorted. */").unwrap();
    writeln!(o, "const cb_urange cb_uflag_runs[] = {{").unwrap();
    for (a, b, f) in &flag_runs {
        writeln!(o, "{{0x{:X},0x{:X},{}}},", a, b, f).unwrap();
    }
    writeln!(o, "}};\nconst size_t cb_uflag_runs_count = {};\n", flag_runs.len()).unwrap();

    writeln!(o, "/* Code point runs with a non-zero canonical combining class, sorted. */").unwrap();
    writeln!(o, "const cb_urange cb_uccc_runs[] = {{").unwrap();
    for (a, b, f) in &ccc_runs {
        writeln!(o, "{{0x{:X},0x{:X},{}}},", a, b, f).unwrap();
    }
    writeln!(o, "}};\nconst size_t cb_uccc_runs_count = {};\n", ccc_runs.len()).unwrap();

    writeln!(o, "/* Single-code-point lowercase mappings (not identity), sorted. */").unwrap();
    writeln!(o, "const cb_ulower cb_ulower1[] = {{").unwrap();
    for (a, b) in &lower1 {
        writeln!(o, "{{0x{:X},0x{:X}}},", a, b).unwrap();
    }
    writeln!(o, "}};\nconst size_t cb_ulower1_count = {};\n", lower1.len()).unwrap();

    writeln!(o, "/* Lowercase mappings to several code points, sorted. */").unwrap();
    writeln!(o, "const cb_ulower_multi cb_ulowerm[] = {{").unwrap();
    for (a, l) in &lowerm {
        let mut t = [0u32; 3];
        t[..l.len()].copy_from_slice(l);
        writeln!(o, "{{0x{:X},{},{{0x{:X},0x{:X},0x{:X}}}}},", a, l.len(), t[0], t[1], t[2]).unwrap();
    }
    writeln!(o, "}};\nconst size_t cb_ulowerm_count = {};\n", lowerm.len()).unwrap();

    writeln!(o, "/* Full canonical decompositions (not identity, not Hangul), sorted; each").unwrap();
    writeln!(o, " * entry is {{code point, offset into cb_udecomp_pool, length}}. */").unwrap();
    writeln!(o, "const cb_udecomp cb_udecomps[] = {{").unwrap();
    let mut off = 0usize;
    for (cp, d) in &decomps {
        writeln!(o, "{{0x{:X},{},{}}},", cp, off, d.len()).unwrap();
        off += d.len();
    }
    writeln!(o, "}};\nconst size_t cb_udecomps_count = {};\n", decomps.len()).unwrap();
    writeln!(o, "const uint32_t cb_udecomp_pool[] = {{").unwrap();
    let mut line = String::new();
    for (_, d) in &decomps {
        for x in d {
            write!(line, "0x{:X},", x).unwrap();
            if line.len() > 90 {
                writeln!(o, "{}", line).unwrap();
                line.clear();
            }
        }
    }
    if !line.is_empty() {
        writeln!(o, "{}", line).unwrap();
    }
    writeln!(o, "}};").unwrap();
    writeln!(o, "/* Longest decomposition: {} code points (CB_UNICODE_MAX_DECOMP). */", max_decomp).unwrap();

    writeln!(o, "\n/* GPT-2 pre-tokenizer class (CB_GPT2_*) of ASCII, looked up directly. */").unwrap();
    writeln!(o, "const uint8_t cb_ugpt2_ascii[128] = {{").unwrap();
    for row in 0..8u32 {
        let cells: Vec<String> = (0..16u32)
            .map(|i| gpt2.class(char::from_u32(row * 16 + i).unwrap()).to_string())
            .collect();
        writeln!(o, "{},", cells.join(",")).unwrap();
    }
    writeln!(o, "}};\n").unwrap();
    writeln!(o, "/* Code point runs of GPT-2 pre-tokenizer classes 1 (\\p{{L}}), 2 (\\p{{N}}), 3 (\\s), sorted;").unwrap();
    writeln!(o, " * everything else is class 0. */").unwrap();
    writeln!(o, "const cb_urange cb_ugpt2_runs[] = {{").unwrap();
    for (a, b, f) in &gpt2_runs {
        writeln!(o, "{{0x{:X},0x{:X},{}}},", a, b, f).unwrap();
    }
    writeln!(o, "}};\nconst size_t cb_ugpt2_runs_count = {};", gpt2_runs.len()).unwrap();

    fs::write(&out_path, o).expect("cannot write output");
    eprintln!(
        "wrote {}: {} flag runs, {} gpt2 runs, {} ccc runs, {} lower1, {} lowerm, {} decomps (pool {}, max {})",
        out_path,
        flag_runs.len(),
        gpt2_runs.len(),
        ccc_runs.len(),
        lower1.len(),
        lowerm.len(),
        decomps.len(),
        pool_len,
        max_decomp
    );
}
