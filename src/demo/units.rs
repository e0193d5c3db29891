//! The demo district's unit tree: the root, seventeen departments, three institutions
//! under the departments that oversee them, four streets (街道) and six towns (镇).

use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::authz::AuthContext;
use crate::tenancy::{NewUnit, Unit, UnitKind, create_unit};

use super::DemoError;

/// The root unit's name.
pub const DISTRICT: &str = "永川区人民政府";

/// What kind of accounts a unit keeps (see `catalog`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// A department: a website column, a WeChat official account, a mailbox, and some
    /// of Weibo, Douyin, Toutiao …
    Department,
    /// The district government office: the portal, its domain and cloud, 「永川发布」.
    Portal,
    /// The media centre (融媒体中心): many new-media accounts.
    Media,
    /// A school or a hospital: a few accounts of its own.
    Institution,
    /// A town or a street office.
    Local,
}

/// One unit of the demo district.
#[derive(Debug, Clone, Copy)]
pub struct UnitSpec {
    pub name: &'static str,
    pub kind: UnitKind,
    /// Index of the parent in [`UNITS`]; `None`: the root.
    pub parent: Option<usize>,
    /// The name its new-media accounts go by (「永川教育」).
    pub brand: &'static str,
    /// Short latin code for login names.
    pub code: &'static str,
    pub flavour: Flavour,
    /// Days ago its accounts were registered in credgov (imported).
    pub onboarded_days_ago: i64,
}

const fn unit(
    name: &'static str,
    kind: UnitKind,
    parent: Option<usize>,
    brand: &'static str,
    code: &'static str,
    flavour: Flavour,
    onboarded_days_ago: i64,
) -> UnitSpec {
    UnitSpec {
        name,
        kind,
        parent,
        brand,
        code,
        flavour,
        onboarded_days_ago,
    }
}

use Flavour::{Department as D, Institution as I, Local as L, Media as M, Portal as P};
use UnitKind::{Department as Dept, Institution as Inst, Street, Town};

/// Index of the education commission (区教委), where the departure case happens.
pub const EDUCATION: usize = 6;
/// Index of the district government office (区政府办公室).
pub const GOVERNMENT_OFFICE: usize = 1;

/// Parents come before their children. Two towns came on board late (their accounts
/// were registered about 170 days ago and have not been rotated yet).
pub const UNITS: [UnitSpec; 30] = [
    unit("区委办公室", Dept, None, "永川区委", "qwb", D, 400),
    unit("区政府办公室", Dept, None, "永川发布", "zfb", P, 399),
    unit("区委组织部", Dept, None, "永川组工", "zzb", D, 398),
    unit("区委宣传部", Dept, None, "永川宣传", "xcb", D, 397),
    unit("区委网信办", Dept, None, "网信永川", "wxb", D, 396),
    unit("区发展改革委", Dept, None, "永川发改", "fgw", D, 395),
    unit("区教委", Dept, None, "永川教育", "jw", D, 394),
    unit("区公安分局", Dept, None, "平安永川", "gaj", D, 393),
    unit("区民政局", Dept, None, "永川民政", "mzj", D, 392),
    unit("区人力社保局", Dept, None, "永川人社", "rsj", D, 391),
    unit("区生态环境局", Dept, None, "永川生态环境", "sthj", D, 390),
    unit("区住房城乡建委", Dept, None, "永川住建", "zjw", D, 389),
    unit("区农业农村委", Dept, None, "永川农业农村", "nyw", D, 388),
    unit("区文化旅游委", Dept, None, "永川文旅", "wlw", D, 387),
    unit("区卫生健康委", Dept, None, "健康永川", "wjw", D, 386),
    unit("区市场监管局", Dept, None, "永川市场监管", "scjg", D, 385),
    unit("区大数据发展局", Dept, None, "永川大数据", "dsj", D, 384),
    unit("区融媒体中心", Inst, Some(3), "永川融媒", "rmt", M, 383),
    unit("永川中学", Inst, Some(6), "永川中学", "yczx", I, 382),
    unit(
        "区人民医院",
        Inst,
        Some(14),
        "永川区人民医院",
        "rmyy",
        I,
        381,
    ),
    unit("中山路街道", Street, None, "中山路街道", "zsl", L, 380),
    unit("胜利路街道", Street, None, "胜利路街道", "sll", L, 379),
    unit("南大街街道", Street, None, "南大街街道", "ndj", L, 378),
    unit("茶山竹海街道", Street, None, "茶山竹海", "cszh", L, 377),
    unit("朱沱镇", Town, None, "朱沱发布", "zt", L, 376),
    unit("松溉镇", Town, None, "松溉古镇", "sg", L, 375),
    unit("仙龙镇", Town, None, "仙龙发布", "xl", L, 172),
    unit("来苏镇", Town, None, "来苏发布", "ls", L, 374),
    unit("吉安镇", Town, None, "吉安发布", "ja", L, 373),
    unit("板桥镇", Town, None, "板桥发布", "bq", L, 170),
];

/// Whether the unit came on board late (its accounts have not been rotated yet).
pub fn late(index: usize) -> bool {
    UNITS[index].onboarded_days_ago < 200
}

/// Creates every unit under `root` as the operator, in [`UNITS`] order.
pub async fn create(
    state: &AppState,
    ctx: &AuthContext,
    root: &Unit,
) -> Result<Vec<Unit>, DemoError> {
    let mut made: Vec<Unit> = Vec::with_capacity(UNITS.len());
    for spec in &UNITS {
        let parent = match spec.parent {
            Some(i) => made.get(i).map(|u| u.id.clone()),
            None => Some(root.id.clone()),
        }
        .ok_or_else(|| DemoError::bug("a unit is listed before its parent"))?;
        let unit = create_unit(
            state,
            ctx,
            &RequestMeta::default(),
            NewUnit {
                name: spec.name.to_string(),
                kind: spec.kind,
                parent_id: parent,
                code: None,
            },
        )
        .await
        .map_err(|e| DemoError::step("creating the units", e))?;
        made.push(unit);
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_come_first_and_names_are_unique() {
        for (i, u) in UNITS.iter().enumerate() {
            if let Some(p) = u.parent {
                assert!(p < i, "{} is listed before its parent", u.name);
            }
            assert!(
                UNITS.iter().filter(|o| o.name == u.name).count() == 1,
                "{} twice",
                u.name
            );
            assert!(
                UNITS.iter().filter(|o| o.code == u.code).count() == 1,
                "{} twice",
                u.code
            );
        }
        assert_eq!(UNITS[EDUCATION].name, "区教委");
        assert_eq!(UNITS[GOVERNMENT_OFFICE].name, "区政府办公室");
    }
}
