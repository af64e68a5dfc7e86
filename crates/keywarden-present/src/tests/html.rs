//! Escaping: markup, quotes and control characters.

use crate::html::escape;

#[test]
fn escape_covers_markup_quotes_and_control_characters() {
    assert_eq!(
        escape("<a href=\"x\" title='y'>&</a>"),
        "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
    );
    assert_eq!(escape("R&D\u{0}\u{1b}[31m"), "R&amp;D[31m");
    assert_eq!(escape("Zoë"), "Zoë");
}
