//! Unit tests on hand-made engine states: a `Sim` is built from a small scenario, cards and
//! people are put exactly where a case needs them, and one mechanism (dispatch, hold, the
//! liveness audit) is called directly. These pin behaviour that random runs reach too rarely
//! to test through metrics (issue 14, bugs 6 to 9 and the liveness audit).

use super::Workspace;
use super::state::{CardState, ClassOfService, NONE, Sim};
use crate::policy::Policy;
use crate::rng::Streams;
use crate::scenario::{Scenario, load_str};

/// Two stages `a` and `b` (WIP limit `b_limit` on `b`), one person per stage, 24/7, no
/// arrivals: the tests create every card themselves.
fn board(b_limit: u32, extra: &str) -> Scenario {
    let text = format!(
        r#"
name = "unit"
[run]
horizon_weeks = 4
seed = 1
policies = ["pull", "flow"]
[calendar]
mode = "24/7"
[arrivals]
process = "none"
[disruptions]
handover_cost_h = 2.0
[[stages]]
name = "a"
effort = {{ dist = "constant", value = 10.0 }}
[[stages]]
name = "b"
effort = {{ dist = "constant", value = 10.0 }}
wip_limit = {b_limit}
{extra}
"#
    );
    load_str(&text, "unit.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn policy<'a>(sc: &'a Scenario, name: &str) -> &'a Policy {
    sc.policies.iter().find(|p| p.name == name).unwrap()
}

impl Sim<'_> {
    /// A card of `class` arriving at `t` (into the backlog).
    fn card_at(&mut self, t: f64, class: ClassOfService) -> u32 {
        self.now = t;
        self.arrive(class).expect("no backlog cap")
    }

    /// Takes the card out of the backlog and commits it.
    fn out_of_backlog(&mut self, slot: u32) {
        let i = self.ws.backlog.iter().position(|&c| c == slot).unwrap();
        self.ws.backlog.remove(i);
        self.n_backlog -= 1;
        self.draw_card(slot);
        self.commit(slot);
    }

    /// The card, done at stage `s`, waits in its done column for stage `s + 1`.
    fn put_done(&mut self, slot: u32, s: usize) {
        self.out_of_backlog(slot);
        self.enter_stage(slot, s, 1.0);
        self.ws.cards[slot as usize].state = CardState::DoneWaiting;
        self.ws.done_waiting[s].push_back(slot);
    }

    /// The card failed stage `from`'s check and waits for its fix at stage `to`.
    fn put_rework(&mut self, slot: u32, from: usize, to: usize) {
        self.out_of_backlog(slot);
        self.enter_stage(slot, from, 1.0);
        self.send_back(slot, from, to, 0.5, 0.5);
    }

    /// Everybody comes in for good (24/7).
    fn everybody_in(&mut self) {
        for i in 0..self.model.people.len() {
            self.come_in(i, f64::INFINITY, f64::INFINITY);
        }
    }

    fn held_by(&self, person: usize) -> Vec<u64> {
        let ps = &self.ws.people[person];
        ps.held[..ps.n_held as usize]
            .iter()
            .map(|&c| self.ws.cards[c as usize].id)
            .collect()
    }
}

const ONE_EACH: &str = r#"
[team.dev]
skills = { a = 1.0 }
[team.tester]
skills = { b = 1.0 }
wip_limit = 1
"#;

/// Bug 6: class of service is compared across all of a stage's input queues: an expedite card
/// waiting in the done column goes before a standard card sent back for rework, under both
/// selection orders.
#[test]
fn an_expedite_card_goes_first_whichever_queue_it_waits_in() {
    let sc = board(5, ONE_EACH);
    for name in ["pull", "flow"] {
        let mut ws = Workspace::default();
        let mut sim = Sim::new(&sc.model, policy(&sc, name), Streams::new(1, 0), &mut ws);
        let standard = sim.card_at(1.0, ClassOfService::Standard);
        let expedite = sim.card_at(2.0, ClassOfService::Expedite);
        sim.put_rework(standard, 1, 1);
        sim.put_done(expedite, 0);
        sim.now = 3.0;
        sim.everybody_in();
        sim.dispatch();
        assert_eq!(
            sim.held_by(1),
            vec![1],
            "{name}: the tester takes the expedite card"
        );
    }
}

/// Bug 9: `oldest_first` takes the card that arrived first wherever it waits: across a
/// stage's queues (rework before the done column) and inside one queue (the done column
/// holds cards in the order they finished, not the order they arrived).
#[test]
fn oldest_first_takes_the_earliest_arrival_wherever_it_waits() {
    let sc = board(5, ONE_EACH);
    let p = policy(&sc, "pull");
    // Across queues: card 0 (arrived first) waits in the done column, card 1 in rework.
    let mut ws = Workspace::default();
    let mut sim = Sim::new(&sc.model, p, Streams::new(1, 0), &mut ws);
    let old = sim.card_at(1.0, ClassOfService::Standard);
    let young = sim.card_at(2.0, ClassOfService::Standard);
    sim.put_done(old, 0);
    sim.put_rework(young, 1, 1);
    sim.now = 3.0;
    sim.everybody_in();
    sim.dispatch();
    assert_eq!(sim.held_by(1), vec![0], "across queues");
    // Inside one queue: card 1 finished stage a before card 0.
    let mut ws = Workspace::default();
    let mut sim = Sim::new(&sc.model, p, Streams::new(1, 0), &mut ws);
    let old = sim.card_at(1.0, ClassOfService::Standard);
    let young = sim.card_at(2.0, ClassOfService::Standard);
    sim.put_done(young, 0);
    sim.put_done(old, 0);
    sim.now = 3.0;
    sim.everybody_in();
    sim.dispatch();
    assert_eq!(sim.held_by(1), vec![0], "inside the done column");
}

/// Bug 7: a card that comes back to the person who let it go (here: orphaned by their
/// absence, and nobody else can work it) costs no hand-over; a card that changes hands does.
#[test]
fn no_hand_over_cost_when_the_card_stays_with_the_same_person() {
    let two_devs = r#"
[team.dev]
count = 2
skills = { a = 1.0 }
[team.tester]
skills = { b = 1.0 }
"#;
    for (team, same) in [(ONE_EACH, true), (two_devs, false)] {
        let sc = board(5, team);
        let mut ws = Workspace::default();
        let mut sim = Sim::new(&sc.model, policy(&sc, "pull"), Streams::new(1, 0), &mut ws);
        let card = sim.card_at(0.0, ClassOfService::Standard);
        sim.come_in(0, f64::INFINITY, f64::INFINITY);
        sim.dispatch();
        assert_eq!(sim.held_by(0), vec![0]);
        // Four hours in, the developer is called away (and stays away past the emergency
        // delay): the card is orphaned.
        sim.now = 4.0;
        sim.go_home(0);
        sim.ws.people[0].absent_days = sim.policy.emergency_after_days;
        sim.absent_today(0);
        assert_eq!(sim.ws.cards[card as usize].state, CardState::Orphan);
        sim.now = 30.0;
        let taker = if same { 0 } else { 1 };
        sim.come_in(taker, f64::INFINITY, f64::INFINITY);
        sim.dispatch();
        assert_eq!(sim.held_by(taker), vec![0]);
        let left = sim.ws.cards[card as usize].remaining;
        let want = if same { 6.0 } else { 8.0 };
        assert!(
            (left - want).abs() < 1e-9,
            "same person {same}: {left} h left, want {want}"
        );
    }
}

/// Bug 8: a free stage slot goes to a free person with empty hands before a free person
/// whose only card is blocked (personal WIP limit 2, `on_block = "switch"`).
#[test]
fn a_free_slot_goes_to_empty_hands_before_a_blocked_holder() {
    let sc = board(
        5,
        r#"
[team.dev]
count = 2
skills = { a = 1.0 }
wip_limit = 2
[team.tester]
skills = { b = 1.0 }
"#,
    );
    let mut ws = Workspace::default();
    let mut sim = Sim::new(&sc.model, policy(&sc, "pull"), Streams::new(1, 0), &mut ws);
    let first = sim.card_at(0.0, ClassOfService::Standard);
    sim.come_in(0, f64::INFINITY, f64::INFINITY);
    sim.dispatch();
    assert_eq!(sim.held_by(0), vec![0]);
    sim.now = 1.0;
    sim.block(first);
    sim.card_at(2.0, ClassOfService::Standard);
    sim.come_in(1, f64::INFINITY, f64::INFINITY);
    sim.dispatch();
    assert_eq!(
        sim.held_by(1),
        vec![1],
        "the colleague with empty hands takes it"
    );
    assert_eq!(sim.held_by(0), vec![0]);
    assert_eq!(sim.ws.people[0].active, NONE);
}

impl Sim<'_> {
    /// The liveness audit at time `t` (nothing else happens in between).
    fn live_at(&mut self, t: f64) -> Result<(), String> {
        self.now = t;
        self.liveness()
    }
}

/// The liveness audit: a person idle next to a card in their stage's pool is stuck; the audit
/// lets it pass for a working day of their present hours (24 h in 24/7 mode), then fails.
#[test]
fn liveness_fails_after_a_working_day_idle_next_to_work() {
    let sc = board(5, ONE_EACH);
    let mut ws = Workspace::default();
    let mut sim = Sim::new(&sc.model, policy(&sc, "pull"), Streams::new(1, 0), &mut ws);
    let card = sim.card_at(0.0, ClassOfService::Standard);
    sim.out_of_backlog(card);
    sim.enter_stage(card, 1, 1.0);
    sim.push_to_queue(card, 1, false);
    sim.everybody_in();
    // Nobody dispatches: the tester idles next to the card.
    assert!(sim.live_at(0.0).is_ok());
    assert!(sim.live_at(23.0).is_ok());
    let e = sim.live_at(24.5).unwrap_err();
    assert!(e.contains("person 1 (tester)"), "{e}");
    // A blocked card is no work: no failure, and the spell ends.
    sim.ws.cards[card as usize].blocked = true;
    assert!(sim.live_at(25.0).is_ok());
    sim.ws.cards[card as usize].blocked = false;
    assert!(sim.live_at(26.0).is_ok(), "a new spell starts");
    assert!(sim.live_at(60.0).is_err());
}

/// What the policy's rules explain is not a liveness failure: here a stage without room (its
/// one slot taken by a card somebody else holds).
#[test]
fn liveness_accepts_what_the_policy_explains() {
    // The tester's stage is full (limit 1) with a card the developer holds as an orphan...
    let sc = board(1, ONE_EACH);
    let mut ws = Workspace::default();
    let mut sim = Sim::new(&sc.model, policy(&sc, "pull"), Streams::new(1, 0), &mut ws);
    let inside = sim.card_at(0.0, ClassOfService::Standard);
    let waiting = sim.card_at(0.0, ClassOfService::Standard);
    sim.out_of_backlog(inside);
    sim.enter_stage(inside, 1, 1.0);
    sim.hold(0, inside);
    sim.put_done(waiting, 0);
    sim.come_in(1, f64::INFINITY, f64::INFINITY);
    for t in [0.0, 30.0, 100.0] {
        assert!(sim.live_at(t).is_ok(), "no room at t = {t}");
    }
}

/// The nested-rework deadlock of issue 14 (bug 1) in miniature: the card waiting in the done
/// column to enter the test stage is the very card that fills the test stage's WIP limit.
/// The stage has room for it (entering adds nothing), so an idle tester next to it is stuck.
#[test]
fn liveness_sees_a_card_waiting_for_room_it_takes_itself() {
    let sc = board(1, ONE_EACH);
    let mut ws = Workspace::default();
    let mut sim = Sim::new(&sc.model, policy(&sc, "pull"), Streams::new(1, 0), &mut ws);
    let card = sim.card_at(0.0, ClassOfService::Standard);
    sim.out_of_backlog(card);
    sim.enter_stage(card, 1, 1.0);
    // Back at the done column of stage a, still counted on stage b.
    sim.set_work(card, 0, 1.0);
    sim.ws.cards[card as usize].state = CardState::DoneWaiting;
    sim.ws.done_waiting[0].push_back(card);
    sim.come_in(1, f64::INFINITY, f64::INFINITY);
    assert!(sim.live_at(0.0).is_ok());
    let e = sim.live_at(25.0).unwrap_err();
    assert!(e.contains("tester"), "{e}");
}

/// Issue 13, finding 5: a planned person's queue is taken in class-of-service order, a
/// fixed-date card before a standard card queued ahead of it.
#[test]
fn a_planned_queue_is_taken_in_class_of_service_order() {
    let sc = board(5, ONE_EACH);
    let push = Policy::push(2);
    let mut ws = Workspace::default();
    let mut sim = Sim::new(&sc.model, &push, Streams::new(1, 0), &mut ws);
    let standard = sim.card_at(1.0, ClassOfService::Standard);
    let dated = sim.card_at(2.0, ClassOfService::FixedDate);
    sim.ws.cards[dated as usize].due = 50.0;
    for slot in [standard, dated] {
        sim.out_of_backlog(slot);
        sim.ws.assignee[slot as usize * sim.n_stages] = 0;
        sim.enter_stage(slot, 0, 10.0);
        sim.push_to_queue(slot, 0, false);
    }
    sim.now = 3.0;
    sim.everybody_in();
    sim.dispatch();
    assert_eq!(sim.held_by(0), vec![1], "the dated card goes first");
}

/// The backlog shortcut (`best_in_backlog`): while the backlog is in arrival order its first
/// card is the best one; a clarified card put back at its front turns the shortcut off (the
/// scan then finds the earliest arrival), and the audit catches a backlog marked in order
/// that is not.
#[test]
fn the_backlog_shortcut_holds_only_while_the_backlog_is_in_arrival_order() {
    let sc = board(5, ONE_EACH);
    let mut ws = Workspace::default();
    let mut sim = Sim::new(&sc.model, policy(&sc, "pull"), Streams::new(1, 0), &mut ws);
    let _first = sim.card_at(1.0, ClassOfService::Standard);
    let second = sim.card_at(2.0, ClassOfService::Standard);
    assert!(sim.backlog_in_order);
    assert_eq!(sim.best_in_backlog(), Some(0));
    assert_eq!(sim.best_in_backlog(), sim.best_in(&sim.ws.backlog));
    // The second card goes to clarification, then its input arrives.
    let i = sim.ws.backlog.iter().position(|&c| c == second).unwrap();
    sim.ws.backlog.remove(i);
    sim.n_backlog -= 1;
    sim.ws.cards[second as usize].state = CardState::Clarify;
    sim.n_clarify += 1;
    sim.now = 3.0;
    sim.unblock(second);
    assert_eq!(sim.ws.backlog.front(), Some(&second));
    assert!(!sim.backlog_in_order, "a card put back at the front");
    assert_eq!(
        sim.best_in_backlog(),
        Some(1),
        "the earliest arrival, now second"
    );
    assert_eq!(sim.audit(), Ok(()));
    sim.backlog_in_order = true;
    assert!(sim.audit().is_err_and(|e| e.contains("arrival order")));
}
