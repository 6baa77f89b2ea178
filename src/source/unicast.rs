//! Keeps only unicast reachability: VPN (SAFI 128), multicast, flowspec, link-state and the
//! like describe no Internet route. `bgpkit-parser` decodes some of them as plain prefixes (a
//! VPNv6 NLRI with ADD-PATH became `::/0` announcements in a real BMP capture), so such
//! MP_REACH/MP_UNREACH attributes are removed before updates are built.

use bgpkit_parser::models::{
    AttributeValue, Attributes, Bgp4MpEnum, BgpMessage, BgpUpdateMessage, MrtMessage, Safi,
};

/// What [`keep_unicast`] removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Removed {
    /// MP_REACH/MP_UNREACH attributes removed.
    pub attributes: u64,
    /// Multicast (SAFI 2) prefixes announced: `bgpdump -m` prints them as A lines, so they are
    /// counted as announcements although detection never sees them.
    pub multicast_announced: u64,
    /// Multicast prefixes withdrawn (W lines).
    pub multicast_withdrawn: u64,
}

/// Removes non-unicast MP_REACH/MP_UNREACH attributes of an MRT BGP4MP update.
pub fn keep_unicast_in_record(message: &mut MrtMessage) -> Removed {
    match message {
        MrtMessage::Bgp4Mp(Bgp4MpEnum::Message(m)) => keep_unicast(&mut m.bgp_message),
        _ => Removed::default(),
    }
}

/// Removes non-unicast MP_REACH/MP_UNREACH attributes of a BGP UPDATE.
pub fn keep_unicast(message: &mut BgpMessage) -> Removed {
    match message {
        BgpMessage::Update(update) => keep_unicast_update(update),
        _ => Removed::default(),
    }
}

fn is_unicast_safi(safi: Safi) -> bool {
    matches!(safi, Safi::Unicast | Safi::UnicastMulticast)
}

fn keep_unicast_update(update: &mut BgpUpdateMessage) -> Removed {
    let foreign = update.attributes.iter().any(|value| match value {
        AttributeValue::MpReachNlri(n) | AttributeValue::MpUnreachNlri(n) => {
            !is_unicast_safi(n.safi)
        }
        _ => false,
    });
    if !foreign {
        return Removed::default();
    }
    let warnings = update.attributes.validation_warnings().to_vec();
    let mut removed = Removed::default();
    let kept: Vec<_> = std::mem::take(&mut update.attributes)
        .into_attributes_iter()
        .filter(|attribute| match &attribute.value {
            AttributeValue::MpReachNlri(n) if !is_unicast_safi(n.safi) => {
                removed.attributes += 1;
                if n.safi == Safi::Multicast {
                    removed.multicast_announced += n.prefixes.len() as u64;
                }
                false
            }
            AttributeValue::MpUnreachNlri(n) if !is_unicast_safi(n.safi) => {
                removed.attributes += 1;
                if n.safi == Safi::Multicast {
                    removed.multicast_withdrawn += n.prefixes.len() as u64;
                }
                false
            }
            _ => true,
        })
        .collect();
    let mut attributes = Attributes::from(kept);
    for warning in warnings {
        attributes.add_validation_warning(warning);
    }
    update.attributes = attributes;
    removed
}
