//! Units (tenants) in a tree: the district at the root, departments, towns, streets
//! and institutions below. Subtree queries use the materialised path
//! (`/root-id/…/unit-id/`): a subtree is a `LIKE 'path%'` range scan.

mod error;
mod model;
pub(crate) mod routes;
mod service;

pub use error::{TenancyError, TenancyResult};
pub use model::{Unit, UnitKind};
pub use routes::router;
pub use service::{
    NewUnit, authorized_unit, create_root, create_unit, get_unit, get_units, list_units, read_unit,
    root_unit,
};
