//! Byte offsets to character offsets. Comprehend's `BeginOffset`/`EndOffset` count characters; here a
//! character is a Unicode scalar value (a Rust `char`), so an emoji or a CJK ideograph counts as one.

/// The character index of every character boundary of a text.
pub struct CharOffsets {
    /// `(byte offset, char index)` of every char start, plus the end of the text.
    starts: Vec<usize>,
}

impl CharOffsets {
    /// Indexes `text`.
    pub fn new(text: &str) -> Self {
        let mut starts: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        starts.push(text.len());
        Self { starts }
    }

    /// The character index of a byte offset that lies on a char boundary (else of the char it falls in).
    pub fn char_index(&self, byte: usize) -> i64 {
        let index = match self.starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        i64::try_from(index).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn emoji_and_cjk_count_as_one_character_each() {
        let text = "😀日本 ok";
        let offsets = CharOffsets::new(text);
        assert_eq!(offsets.char_index(0), 0);
        assert_eq!(offsets.char_index(4), 1); // after the 4-byte emoji
        assert_eq!(offsets.char_index(7), 2); // after 日 (3 bytes)
        assert_eq!(offsets.char_index(text.len()), 6);
    }
}
