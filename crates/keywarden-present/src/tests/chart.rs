//! The rollout chart, snapshot-tested on the domain's rollout fixtures (`UPDATE_EXPECT=1` refreshes the snapshot).

use expect_test::expect;
use keywarden_domain::rollout::fixtures::*;
use keywarden_domain::rollout::status::Tally;

use crate::chart;

#[test]
fn the_chart_states_every_number_and_escapes_labels() {
    let mut report = status(&policy(), &directory(), vec![]);
    report.rings[1].display_name = "R&D <\"contractors\"> and a name far too long for the label column".into();
    let svg = chart::svg(&report);
    expect![[r##"
        <svg xmlns="http://www.w3.org/2000/svg" width="840" height="216" viewBox="0 0 840 216" role="img" aria-labelledby="rollout-title rollout-desc" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="13">
        <title id="rollout-title">Passkey rollout by ring</title>
        <desc id="rollout-desc">Admins: 2 members, 2 targeted, 1 covered (50%). R&amp;D &lt;&quot;contractors&quot;&gt; and a name far too long for the label column: 1 members, 0 targeted, 0 covered (0%). Pilot: 3 members, 2 targeted, 1 covered (33%). All users: 6 members, 4 targeted, 2 covered (33%)</desc>
        <rect width="840" height="216" fill="#ffffff"/>
        <text x="16" y="26" font-size="16" font-weight="600" fill="#1b1f24">Passkey rollout by ring</text>
        <rect x="16" y="42" width="12" height="12" fill="#eaeef2" stroke="#d0d7de"/><text x="34" y="53" fill="#57606a">Members</text><rect x="114" y="42" width="12" height="12" fill="#9ec5ee" stroke="#d0d7de"/><text x="132" y="53" fill="#57606a">Targeted</text><rect x="220" y="42" width="12" height="12" fill="#0b5cad" stroke="#d0d7de"/><text x="238" y="53" fill="#57606a">Covered (a passkey today's policy accepts)</text>
        <g class="ring"><title>Admins: 2 members, 2 targeted, 1 covered (50%)</title><text x="16" y="87" fill="#1b1f24">Admins</text><rect x="216" y="74" width="360.0" height="18" fill="#eaeef2" stroke="#d0d7de"/><rect x="216" y="74" width="360.0" height="18" fill="#9ec5ee"/><rect x="216" y="74" width="180.0" height="18" fill="#0b5cad"/><text x="586" y="87" fill="#1b1f24">1/2 covered (50%) · 2 targeted</text></g>
        <g class="ring"><title>R&amp;D &lt;&quot;contractors&quot;&gt; and a name far too long for the label column: 1 members, 0 targeted, 0 covered (0%)</title><text x="16" y="121" fill="#1b1f24">R&amp;D &lt;&quot;contractors&quot;&gt; and a n…</text><rect x="216" y="108" width="360.0" height="18" fill="#eaeef2" stroke="#d0d7de"/><rect x="216" y="108" width="0.0" height="18" fill="#9ec5ee"/><rect x="216" y="108" width="0.0" height="18" fill="#0b5cad"/><text x="586" y="121" fill="#1b1f24">0/1 covered (0%) · 0 targeted</text></g>
        <g class="ring"><title>Pilot: 3 members, 2 targeted, 1 covered (33%)</title><text x="16" y="155" fill="#1b1f24">Pilot</text><rect x="216" y="142" width="360.0" height="18" fill="#eaeef2" stroke="#d0d7de"/><rect x="216" y="142" width="240.0" height="18" fill="#9ec5ee"/><rect x="216" y="142" width="120.0" height="18" fill="#0b5cad"/><text x="586" y="155" fill="#1b1f24">1/3 covered (33%) · 2 targeted</text></g>
        <line x1="16" y1="172" x2="824" y2="172" stroke="#d0d7de"/>
        <g class="ring"><title>All users: 6 members, 4 targeted, 2 covered (33%)</title><text x="16" y="193" fill="#1b1f24">All users</text><rect x="216" y="180" width="360.0" height="18" fill="#eaeef2" stroke="#d0d7de"/><rect x="216" y="180" width="240.0" height="18" fill="#9ec5ee"/><rect x="216" y="180" width="120.0" height="18" fill="#0b5cad"/><text x="586" y="193" fill="#1b1f24">2/6 covered (33%) · 4 targeted</text></g>
        </svg>
    "##]]
    .assert_eq(&svg);
    assert!(!svg.contains("<\"contractors"), "labels are escaped");
}

#[test]
fn the_chart_of_a_directory_without_groups_says_so() {
    let catalog = catalog();
    let policy = policy();
    let mut tally = Tally::new(&policy.fido2, &catalog, vec![]);
    tally.user(&subject("frank", &[], &[]));
    let svg = chart::svg(&tally.finish());
    assert!(svg.contains("No groups yet"), "{svg}");
    assert!(
        svg.contains("All users: 1 members, 0 targeted, 0 covered (0%)"),
        "{svg}"
    );
}
