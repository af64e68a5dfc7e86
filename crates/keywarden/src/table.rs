//! Plain-text tables for people: columns padded to their widest cell, and CSV for `--format csv`.

/// Renders rows under a header with two spaces between columns.
pub(crate) fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let widths = widths(header, rows);
    let mut out = line(header, &widths);
    out.push('\n');
    for row in rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        out.push_str(&line(&cells, &widths));
        out.push('\n');
    }
    out
}

/// The width of each column: its widest cell among the header and `rows`.
pub(crate) fn widths(header: &[&str], rows: &[Vec<String>]) -> Vec<usize> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    widths
}

/// One line of a table with the given column widths (a longer cell pushes the rest of its line right).
pub(crate) fn line(cells: &[&str], widths: &[usize]) -> String {
    let padded: Vec<String> = cells
        .iter()
        .zip(widths)
        .map(|(c, w)| format!("{c:<width$}", width = *w))
        .collect();
    padded.join("  ").trim_end().to_string()
}

/// Renders rows as RFC 4180 CSV, formulas neutralised (`keywarden_server::ops::reports::csv_cell`).
pub(crate) fn csv(header: &[&str], rows: &[Vec<String>]) -> String {
    let field = |f: &str| {
        let f = keywarden_server::ops::reports::csv_cell(f);
        if f.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", f.replace('"', "\"\""))
        } else {
            f.to_string()
        }
    };
    let mut out = header.iter().map(|h| field(h)).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    for row in rows {
        out.push_str(&row.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_to_the_widest_cell() {
        let out = render(
            &["UPN", "Name"],
            &[vec!["a@b.c".into(), "A".into()], vec!["x".into(), "Longer".into()]],
        );
        assert_eq!(out, "UPN    Name\na@b.c  A\nx      Longer\n");
    }

    #[test]
    fn csv_cells_that_would_run_as_formulas_stay_text() {
        let out = csv(
            &["name"],
            &[
                vec!["=HYPERLINK(\"http://evil\",\"x\")".into()],
                vec!["+1".into()],
                vec!["-2".into()],
                vec!["@SUM(A1)".into()],
                vec!["\tx".into()],
                vec!["plain".into()],
            ],
        );
        assert_eq!(
            out,
            "name\r\n\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"\r\n'+1\r\n'-2\r\n'@SUM(A1)\r\n'\tx\r\nplain\r\n"
        );
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        let out = csv(&["a", "b"], &[vec!["1,2".into(), "say \"hi\"".into()]]);
        assert_eq!(out, "a,b\r\n\"1,2\",\"say \"\"hi\"\"\"\r\n");
    }
}
