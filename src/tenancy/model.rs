use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::authz::UnitRef;
use crate::ids::UnitId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// 区 — the district itself.
    District,
    /// 区政府部门
    Department,
    /// 镇
    Town,
    /// 街道
    Street,
    /// 事业单位 and other public institutions
    Institution,
    /// 国有企业
    Enterprise,
    Other,
}

impl UnitKind {
    pub const ALL: [UnitKind; 7] = [
        UnitKind::District,
        UnitKind::Department,
        UnitKind::Town,
        UnitKind::Street,
        UnitKind::Institution,
        UnitKind::Enterprise,
        UnitKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::District => "district",
            UnitKind::Department => "department",
            UnitKind::Town => "town",
            UnitKind::Street => "street",
            UnitKind::Institution => "institution",
            UnitKind::Enterprise => "enterprise",
            UnitKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<UnitKind> {
        UnitKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Unit {
    pub id: UnitId,
    pub parent_id: Option<UnitId>,
    pub kind: UnitKind,
    pub name: String,
    pub code: Option<String>,
    /// Depth in the tree; the district is 0.
    pub depth: i64,
    /// Unix milliseconds UTC.
    pub created_at: i64,
    #[serde(skip)]
    pub path: String,
}

impl Unit {
    pub(super) fn from_row(r: &AnyRow) -> Result<Unit, sqlx::Error> {
        let kind: String = r.try_get("kind")?;
        Ok(Unit {
            id: r.try_get("id")?,
            parent_id: r.try_get("parent_id")?,
            kind: UnitKind::parse(&kind).unwrap_or(UnitKind::Other),
            name: r.try_get("name")?,
            code: r.try_get("code")?,
            depth: r.try_get("depth")?,
            created_at: r.try_get("created_at")?,
            path: r.try_get("path")?,
        })
    }

    pub fn as_ref(&self) -> UnitRef<'_> {
        UnitRef {
            id: self.id.as_str(),
            path: &self.path,
        }
    }
}
