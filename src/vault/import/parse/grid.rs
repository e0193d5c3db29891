//! The grid a file is read into before its header is known: rows of cells with the
//! row number a spreadsheet shows.

use zeroize::Zeroizing;

/// One row of cells with its spreadsheet row number.
pub(super) struct GridRow {
    pub row: usize,
    pub cells: Vec<Cell>,
}

pub(super) enum Cell {
    Text(Zeroizing<String>),
    /// A cell that holds no usable value: the Excel error it holds (`#N/A`).
    Bad(String),
}

impl Cell {
    pub(super) fn is_blank(&self) -> bool {
        match self {
            Cell::Text(s) => s.trim().is_empty(),
            Cell::Bad(_) => false,
        }
    }
}
