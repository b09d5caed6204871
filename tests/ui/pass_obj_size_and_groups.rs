use ibops::prelude::*;

struct MyQp {
    _qpn: u32,
}

fn board_id(_: &Device, _: Option<u8>) -> String {
    "demo".to_owned()
}

static DEVICE_ATTRS: AttributeGroup = AttributeGroup {
    name: None,
    attrs: &[Attribute {
        name: "board_id",
        show: board_id,
    }],
};

#[derive(DeviceOps)]
#[device_ops(obj_size(qp = MyQp, cq = Arc<u32>), device_group = DEVICE_ATTRS)]
struct Provider;

fn main() {
    let ops = <Provider as ProvideOps>::OPS;
    assert_eq!(ops.size_ib_qp.map(|s| s.size()), Some(4));
    assert!(ops.size_ib_pd.is_none());
    assert_eq!(ops.device_group.and_then(|g| g.find("board_id")).map(|a| a.name), Some("board_id"));
}
