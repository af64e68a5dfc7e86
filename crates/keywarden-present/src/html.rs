//! HTML and XML text: the one escaping function the pages and the chart write names and labels with.

/// Escapes text for HTML and XML (SVG) content and attribute values; control characters are dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            other => out.push(other),
        }
    }
    out
}
