//! Reading the recogniser's output: greedy CTC decoding into characters that remember the
//! columns they came from, and splitting a line's characters into words.
//!
//! The recogniser gives one probability row per column of 8 input pixels. Greedy decoding takes
//! each column's most likely class, merges runs of the same class and drops the blank (class 0).
//! A character's columns say where it is in the line, which is how words get their boxes.

/// One decoded character.
#[derive(Debug, Clone, PartialEq)]
pub struct Char {
    /// The character (one entry of the recogniser's character list).
    pub text: String,
    /// The highest probability in its run of columns, 0–1.
    pub confidence: f32,
    /// The first column of its run.
    pub first: usize,
    /// The last column of its run.
    pub last: usize,
}

impl Char {
    /// Whether the character is white space (the recogniser's last class is a space).
    pub fn is_space(&self) -> bool {
        self.text.chars().all(char::is_whitespace)
    }

    /// The middle of its run, in columns.
    pub fn centre(&self) -> f32 {
        (self.first + self.last) as f32 / 2.0
    }
}

/// Greedy CTC decoding of `probs`, `columns × classes` row-major. Class 0 is the blank, class
/// `i` in `1..=charset.len()` is `charset[i - 1]`, and the class after them is a space; any
/// other class is skipped.
pub fn decode(probs: &[f32], columns: usize, classes: usize, charset: &[String]) -> Vec<Char> {
    let mut out: Vec<Char> = Vec::new();
    let mut previous = None;
    for column in 0..columns {
        let Some(row) = probs.get(column * classes..(column + 1) * classes) else {
            break;
        };
        let Some((class, p)) =
            row.iter()
                .copied()
                .enumerate()
                .fold(None, |best: Option<(usize, f32)>, (i, p)| match best {
                    Some((_, bp)) if bp >= p => best,
                    _ => Some((i, p)),
                })
        else {
            break;
        };
        if previous == Some(class) {
            if let Some(last) = out.last_mut().filter(|c| c.last + 1 == column) {
                last.last = column;
                last.confidence = last.confidence.max(p);
            }
            continue;
        }
        previous = Some(class);
        let text = match class {
            0 => continue,
            i if i <= charset.len() => charset[i - 1].clone(),
            i if i == charset.len() + 1 => " ".to_string(),
            _ => continue,
        };
        out.push(Char {
            text,
            confidence: p,
            first: column,
            last: column,
        });
    }
    out
}

/// A word: a run of characters with no space between them.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// Its text.
    pub text: String,
    /// The mean of its characters' confidences, 0–1.
    pub confidence: f32,
    /// The first column of its first character.
    pub first: usize,
    /// The last column of its last character.
    pub last: usize,
}

/// Splits a line's characters into words: at every space, and between two neighbouring
/// characters where `breaks(left, right)` says so (the recogniser often drops the space between
/// words; the caller can still see the gap in the image).
pub fn words(chars: &[Char], breaks: impl Fn(&Char, &Char) -> bool) -> Vec<Word> {
    let mut out = Vec::new();
    let mut current: Vec<&Char> = Vec::new();
    let flush = |current: &mut Vec<&Char>, out: &mut Vec<Word>| {
        if let (Some(first), Some(last)) = (current.first(), current.last()) {
            out.push(Word {
                text: current.iter().map(|c| c.text.as_str()).collect(),
                confidence: current.iter().map(|c| c.confidence).sum::<f32>()
                    / current.len() as f32,
                first: first.first,
                last: last.last,
            });
        }
        current.clear();
    };
    for c in chars {
        if c.is_space() {
            flush(&mut current, &mut out);
            continue;
        }
        if current.last().is_some_and(|previous| breaks(previous, c)) {
            flush(&mut current, &mut out);
        }
        current.push(c);
    }
    flush(&mut current, &mut out);
    out
}

/// The median distance between the centres of neighbouring characters of the same word (not
/// across a space); `None` with fewer than two such pairs.
pub fn typical_pitch(chars: &[Char]) -> Option<f32> {
    let mut gaps: Vec<f32> = chars
        .windows(2)
        .filter(|w| !w[0].is_space() && !w[1].is_space())
        .map(|w| w[1].centre() - w[0].centre())
        .collect();
    if gaps.len() < 2 {
        return None;
    }
    gaps.sort_by(f32::total_cmp);
    Some(gaps[gaps.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charset() -> Vec<String> {
        ["a", "b", "c"].map(String::from).to_vec()
    }

    /// A `columns × 5` matrix (blank, a, b, c, space) with `p` on each column's chosen class.
    fn probs(classes: &[usize], p: f32) -> Vec<f32> {
        classes
            .iter()
            .flat_map(|&k| (0..5).map(move |i| if i == k { p } else { (1.0 - p) / 4.0 }))
            .collect()
    }

    fn texts(words: Vec<Word>) -> Vec<String> {
        words.into_iter().map(|w| w.text).collect()
    }

    fn ch(text: &str, first: usize, last: usize) -> Char {
        Char {
            text: text.into(),
            confidence: 0.9,
            first,
            last,
        }
    }

    #[test]
    fn repeats_collapse_and_blanks_separate_and_vanish() {
        // a a _ a b b _ _ c
        let decoded = decode(&probs(&[1, 1, 0, 1, 2, 2, 0, 0, 3], 0.8), 9, 5, &charset());
        let text: String = decoded.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(text, "aabc");
        assert_eq!((decoded[0].first, decoded[0].last), (0, 1));
        assert_eq!((decoded[2].first, decoded[2].last), (4, 5));
        assert_eq!((decoded[3].first, decoded[3].last), (8, 8));
        assert!(decoded.iter().all(|c| (c.confidence - 0.8).abs() < 1e-6));
    }

    #[test]
    fn the_class_after_the_charset_is_a_space() {
        let decoded = decode(&probs(&[1, 4, 2], 0.9), 3, 5, &charset());
        let text: String = decoded.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(text, "a b");
        assert!(decoded[1].is_space());
    }

    #[test]
    fn short_or_malformed_output_decodes_what_is_there() {
        assert!(decode(&[], 4, 5, &charset()).is_empty());
        let decoded = decode(&probs(&[1, 2], 0.9), 7, 5, &charset());
        assert_eq!(decoded.len(), 2);
        // A class beyond the charset and the space (a model with more classes) is skipped.
        let mut wide = vec![0.0f32; 7];
        wide[6] = 1.0;
        assert!(decode(&wide, 1, 7, &charset()).is_empty());
        assert!(decode(&[0.5; 5], 1, 0, &charset()).is_empty());
    }

    #[test]
    fn a_run_keeps_its_best_confidence() {
        let mut p = probs(&[1, 1, 1], 0.6);
        p[5 + 1] = 0.95;
        let decoded = decode(&p, 3, 5, &charset());
        assert_eq!(decoded.len(), 1);
        assert!((decoded[0].confidence - 0.95).abs() < 1e-6);
    }

    #[test]
    fn words_split_at_spaces() {
        let chars = [ch("a", 0, 0), ch("b", 3, 3), ch(" ", 5, 5), ch("c", 7, 7)];
        let words = words(&chars, |_, _| false);
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["ab", "c"]);
        assert_eq!((words[0].first, words[0].last), (0, 3));
        assert_eq!((words[1].first, words[1].last), (7, 7));
    }

    #[test]
    fn words_split_where_the_caller_sees_a_gap() {
        let chars = [
            ch("a", 0, 0),
            ch("b", 3, 3),
            ch("c", 6, 6),
            ch("c", 13, 13),
            ch("a", 16, 16),
            ch("b", 19, 19),
        ];
        let wide = |a: &Char, b: &Char| b.centre() - a.centre() > 5.0;
        assert_eq!(texts(words(&chars, wide)), ["abc", "cab"]);
        assert_eq!(texts(words(&chars, |_, _| false)), ["abccab"]);
        assert_eq!(typical_pitch(&chars), Some(3.0));
    }

    #[test]
    fn leading_trailing_and_double_spaces_make_no_empty_words() {
        let chars = [
            ch(" ", 0, 0),
            ch("a", 2, 2),
            ch(" ", 4, 4),
            ch(" ", 5, 5),
            ch("b", 7, 7),
            ch(" ", 9, 9),
        ];
        assert_eq!(texts(words(&chars, |_, _| true)), ["a", "b"]);
        assert!(words(&[], |_, _| true).is_empty());
    }

    #[test]
    fn word_confidence_is_the_mean_of_its_characters() {
        let mut chars = vec![ch("a", 0, 0), ch("b", 3, 3)];
        chars[1].confidence = 0.5;
        let words = words(&chars, |_, _| false);
        assert!((words[0].confidence - 0.7).abs() < 1e-6);
    }
}
