//! Weighted text length (twitter-text v3) and `fit_reply`. The input is any text.
//!
//! Properties: `fits` is exactly "1–280 weighted characters"; a text that fits is left alone by
//! `fit_reply`, any other comes back fitting X's limit, ending in `…`, made of a prefix of the
//! original; and when the text starts with a handle (`@` + 1–15 of `A-Z a-z 0-9 _`) given as the
//! leading mention, that mention is kept whole and the result still fits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use starling_x::text::{ELLIPSIS, MAX_WEIGHTED_LENGTH, fit_reply, fits, weighted_length};

fn check_fitted(text: &str, text_fits: bool, fitted: &str) {
    if text_fits || text.is_empty() {
        assert_eq!(fitted, text, "a text that fits was changed");
        return;
    }
    assert!(
        fits(fitted),
        "{} weighted characters: {fitted:?}",
        weighted_length(fitted)
    );
    let kept = fitted
        .strip_suffix(ELLIPSIS)
        .expect("a shortened text ends with …");
    assert!(
        text.starts_with(kept),
        "{kept:?} is not a prefix of the text"
    );
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();

    let text_fits = fits(text);
    assert_eq!(
        text_fits,
        !text.is_empty() && weighted_length(text) <= MAX_WEIGHTED_LENGTH
    );

    check_fitted(text, text_fits, &fit_reply(text, None));

    let handle: String = text
        .strip_prefix('@')
        .unwrap_or_default()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(16)
        .collect();
    if (1..=15).contains(&handle.len()) {
        let fitted = fit_reply(text, Some(&handle));
        check_fitted(text, text_fits, &fitted);
        // The mention survives whole unless the next character continues the handle.
        let mention = format!("@{handle}");
        let whole =
            !text[mention.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        if whole {
            assert!(fitted.starts_with(&mention), "{fitted:?} lost {mention}");
        }
    }
});
