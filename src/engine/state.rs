//! The engine's state: cards, people and the `Sim` that holds them for one replication,
//! built (or rebuilt in a reused `Workspace`) by `Sim::new`.

use super::inputs::Answerer;
use super::slots::PerStage;
use super::tally::{Areas, IdleCause, Tally};
use super::{Trace, Workspace};
use crate::dist::Dist;
use crate::limits::{MAX_HELD, MAX_SWARM, MAX_TEAM};
use crate::metrics::{CardClass, CardRecord, N_WEEKLY_FIXED};
use crate::model::{ArrivalProcess, Calendar, Model};
use crate::policy::{Handoff, Policy, Release};
use crate::rng::{Stream, StreamKind, Streams};
use std::collections::VecDeque;

/// No card, person or stage (an index that is not one).
pub(super) const NONE: u32 = u32::MAX;

/// Where a card is (see the module docs of `engine`); `Free` is an unused slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CardState {
    Free,
    Backlog,
    Clarify,
    Ready,
    Todo,
    Doing,
    Orphan,
    Rework,
    DoneWaiting,
}

/// A card's class of service. The order is the priority: expedite first, then fixed-date
/// cards (by due date), then standard ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum ClassOfService {
    /// Unplanned urgent work: ahead of everything, planned at once under push.
    Expedite,
    /// A card with a due date.
    FixedDate,
    /// Everything else.
    Standard,
}

/// A card (or a rollback task) in a slot of `Workspace::cards`.
#[derive(Debug, Clone)]
pub(super) struct Card {
    /// Arrival order (`u64::MAX` for a rollback task).
    pub(super) id: u64,
    /// When it arrived (hours).
    pub(super) arrived: f64,
    /// When it was committed (NaN while not).
    pub(super) committed: f64,
    /// Stage being worked or waited for.
    pub(super) stage: u32,
    /// Stage whose WIP counts the card (NONE outside stages).
    pub(super) counted: u32,
    /// Where the card is.
    pub(super) state: CardState,
    /// Work left at the current stage (hours at speed 1), as of `since`.
    pub(super) remaining: f64,
    /// Work the current stage started with (hours at speed 1).
    pub(super) stage_work: f64,
    /// Current work rate (work-hours per hour).
    pub(super) rate: f64,
    /// When `remaining` was last brought up to date (hours).
    pub(super) since: f64,
    /// Bumped whenever the card's completion is rescheduled or cancelled: a `StageDone` event
    /// with an older version is stale.
    pub(super) version: u32,
    /// People working on the card now (the first `n_workers`).
    pub(super) workers: [u32; MAX_SWARM],
    pub(super) n_workers: u8,
    /// The person holding the card, or NONE.
    pub(super) holder: u32,
    /// Clock hours during which somebody worked on the card.
    pub(super) touch: f64,
    /// Hours blocked or waiting for its input so far (ended blocks only), for `cards.csv`.
    pub(super) blocked_h: f64,
    /// Times a check or a failed deployment sent it back.
    pub(super) reworks: u32,
    /// Blocked (missing input or a blocking event): nobody can work it.
    pub(super) blocked: bool,
    /// When the current block started (hours).
    pub(super) block_since: f64,
    /// Whether the card has ever blocked (for the blocker rate).
    pub(super) ever_blocked: bool,
    /// Whether anybody has started working on it.
    pub(super) started: bool,
    /// When somebody first worked on it (NaN until then): the start of its start-to-done
    /// time, the same event under every policy.
    pub(super) first_work: f64,
    /// It started after warm-up (so it counts in the blocker rate's denominator, and its
    /// first block, before or after the start, in the numerator).
    pub(super) start_counted: bool,
    /// Person-hours per hour its helpers lose to pairing (`n x (1 - pairing_efficiency)`
    /// while more than one present person works it; 0 otherwise).
    pub(super) pair_loss: f64,
    /// Its input is missing and not yet found out.
    pub(super) input_pending: bool,
    /// How long its missing input takes to come (hours; an answerer's work when people
    /// answer inputs).
    pub(super) input_delay: f64,
    /// When the card's missing input was asked for (NaN when not waiting for one).
    pub(super) input_asked: f64,
    /// Uniform draw compared with the readiness check's chance of finding a missing input.
    pub(super) detection_draw: f64,
    /// The person who let the card go (sickness, absence, reassignment), or NONE: its next
    /// holder pays the hand-over cost unless it is that same person.
    pub(super) handover_from: u32,
    /// After rework: the stages whose checks sent the card back and that it must pass again,
    /// as a bit set (a stack: it returns to the lowest first; see `Sim::send_back`). The
    /// share of its effort each return needs is in `Workspace::return_shares`.
    pub(super) returns: u64,
    /// Share of its effort the fix needs at the stage it was sent back to.
    pub(super) fix_share: f64,
    /// A rollback task, not a card.
    pub(super) rollback: bool,
    /// A fixed-date card at risk at today's start: its holder stays late for it (and for
    /// nothing else) under the `fixed_date_at_risk` overtime rule.
    pub(super) at_risk: bool,
    /// Class of service.
    pub(super) class: ClassOfService,
    /// Due date (hours; infinite unless fixed-date).
    pub(super) due: f64,
    /// Under push: the end of the plan period this card was last committed in.
    pub(super) plan_end: f64,
    /// When its first unrepaired failed deployment happened (NaN if none): the time to
    /// restore under `keep_last_good` runs from there to the deployment of its fix.
    pub(super) failed_deploy_at: f64,
    /// The card's own stream (its draws at arrival, then its checks: rework, deployments).
    pub(super) rng: Stream,
    /// Whether the card has made its own draws (efforts, estimates, missing input,
    /// detection, fixed date; see `Sim::new_card`).
    pub(super) drawn: bool,
    /// The card's blocking events (its own stream, so that they shift no other draw); seeded
    /// at its first draw (a stream depends only on its key, so the draws are the same).
    pub(super) blocker_rng: Option<Stream>,
}

impl Card {
    /// The card's record for `cards.csv` at `now`: done then, or (`censored`) unfinished at
    /// the horizon, with a block still open counted up to `now`.
    pub(super) fn record(&self, now: f64, censored: bool) -> CardRecord {
        let open_block = if self.blocked || self.state == CardState::Clarify {
            now - self.block_since
        } else {
            0.0
        };
        CardRecord {
            id: self.id,
            class: match self.class {
                ClassOfService::Standard => CardClass::Standard,
                ClassOfService::Expedite => CardClass::Expedite,
                ClassOfService::FixedDate => CardClass::FixedDate,
            },
            arrived_h: self.arrived,
            committed_h: self.committed,
            started_h: self.first_work,
            done_h: if censored { f64::NAN } else { now },
            due_h: if self.due.is_finite() {
                self.due
            } else {
                f64::NAN
            },
            blocked_h: self.blocked_h + if censored { open_block } else { 0.0 },
            touch_h: self.touch,
            reworks: self.reworks,
            censored,
        }
    }
}

/// A person's state during a replication.
#[derive(Debug, Clone)]
pub(super) struct PersonState {
    /// At work now.
    pub(super) present: bool,
    /// Card being worked on now (held or helped), or NONE.
    pub(super) active: u32,
    /// Cards the person holds (the first `n_held`), in the order taken.
    pub(super) held: [u32; MAX_HELD],
    pub(super) n_held: u32,
    /// How many cards the person may hold at once (their `wip_limit`, read at every
    /// dispatch).
    pub(super) wip_limit: u32,
    /// Why the person is idle, while present and idle (None otherwise).
    pub(super) idle_cause: Option<IdleCause>,
    /// When the person came in today (hours).
    pub(super) day_start: f64,
    /// When today's normal hours end; after it is overtime (hours).
    pub(super) normal_end: f64,
    /// When the person leaves today at the latest, overtime included (hours).
    pub(super) day_end: f64,
    /// When the person started on the active card (hours).
    pub(super) work_since: f64,
    /// Hours worked so far (for the audit).
    pub(super) worked_h: f64,
    /// Hours present so far (for the audit).
    pub(super) present_h: f64,
    /// Sick up to (not including) this day index.
    pub(super) sick_until_day: u64,
    /// Working days absent in a row.
    pub(super) absent_days: u32,
    /// Whether this absence's work was already reassigned (push).
    pub(super) reassigned: bool,
    /// Id of the card the person last turned to as its holder (a switch is turning to
    /// another one).
    pub(super) last_card: Option<u64>,
    /// The person's own stream (two sickness draws every working day).
    pub(super) rng: Stream,
    /// Overtime this calendar week (hours).
    pub(super) overtime_week_h: f64,
    /// Overtime since the last day start, for the fatigue window (hours).
    pub(super) overtime_today_h: f64,
}

/// Where a stage's new cards come from (besides cards already on the board: orphans, its
/// pool and rework).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Feed {
    /// Pushed in by the stage before, planned by the planner, or pulled only at its polls:
    /// nothing for a free person to pull now.
    #[default]
    Nothing,
    /// The previous stage's done column, while the stage has room.
    DoneColumn,
    /// The backlog (the first stage under pull release), while the stage and system have room.
    Backlog,
    /// The ready column (the first stage under cadence release).
    Ready,
}

impl Feed {
    fn of(policy: &Policy, s: usize) -> Feed {
        if s == 0 {
            match policy.release {
                Release::OnPull => Feed::Backlog,
                Release::Cadence { .. } => Feed::Ready,
                Release::Plan { .. } => Feed::Nothing,
            }
        } else {
            match policy.handoffs.get(s) {
                Some(Handoff::Pull { poll_every_h }) if *poll_every_h > 0.0 => Feed::Nothing,
                Some(Handoff::Pull { .. }) => Feed::DoneColumn,
                _ => Feed::Nothing,
            }
        }
    }
}

impl PersonState {
    /// Somebody not yet at work, holding nothing, drawing from `rng`.
    fn new(rng: Stream, wip_limit: u32) -> Self {
        PersonState {
            present: false,
            active: NONE,
            held: [NONE; MAX_HELD],
            n_held: 0,
            wip_limit,
            idle_cause: None,
            day_start: 0.0,
            normal_end: 0.0,
            day_end: 0.0,
            work_since: 0.0,
            worked_h: 0.0,
            present_h: 0.0,
            sick_until_day: 0,
            absent_days: 0,
            reassigned: false,
            last_card: None,
            rng,
            overtime_week_h: 0.0,
            overtime_today_h: 0.0,
        }
    }
}

impl Default for PersonState {
    /// The unused places of `Workspace::people` (a fixed stream: nobody draws from it).
    fn default() -> Self {
        PersonState::new(rand::SeedableRng::seed_from_u64(0), 0)
    }
}

/// One replication in progress: the model and policy, the workspace holding cards and people,
/// the clock, the counters and the statistics.
pub(super) struct Sim<'a> {
    /// The validated model.
    pub(super) model: &'a Model,
    /// The way of working.
    pub(super) policy: &'a Policy,
    /// Cards, people, queues and the event list (reused across replications).
    pub(super) ws: &'a mut Workspace,
    /// The replication's random streams (cards' and people's come from here).
    pub(super) streams: Streams,
    /// Draws of the regular arrival process.
    pub(super) arrivals_rng: Stream,
    /// Draws of expedite arrivals.
    pub(super) expedite_rng: Stream,
    /// Time between Poisson arrivals (hours).
    pub(super) interarrival: Option<Dist>,
    /// A replayed history's cursor: the next card, the end of the current pass or history
    /// week, the time added to the history's times, and the simulated week (resampling).
    pub(super) replay: ReplayCursor,
    /// Time between expedite arrivals (hours).
    pub(super) expedite_gap: Option<Dist>,
    /// Number of stages.
    pub(super) n_stages: usize,
    /// Working days per week.
    pub(super) days_per_week: u64,
    /// Per stage: since when its environment is down (NaN while up).
    pub(super) down_since: PerStage<f64>,
    /// Per stage: when it last took a card in (hours; for a conservative puller's delay).
    pub(super) pulled_at: Vec<f64>,
    /// Per stage: when the health check will notice its failed GitOps deployment (NaN: none
    /// pending).
    pub(super) detect_at: Vec<f64>,
    /// Per stage: the rollback work its failed GitOps deployment will need (hours at speed 1).
    pub(super) rollback_work: Vec<f64>,
    /// The board's last deployment stage (where changes are delivered), if any.
    pub(super) last_deploy: Option<usize>,
    /// Whether any stage is a conservative puller (`Stage::pull_below` or `pull_delay_h`);
    /// while none is, `Sim::puller_ready` is always true.
    pub(super) conservative_pullers: bool,
    /// Per stage: the WIP limit the policy honours there (cards; `u32::MAX` for none), so
    /// that `Sim::stage_room` is one comparison.
    pub(super) room_limit: PerStage<u32>,
    /// The stages whose work the policy may hold back (`Sim::held_back` is false at every
    /// other stage): polling stages, and the first stage unless it pulls from the backlog.
    pub(super) may_hold_back: u64,
    /// The stages with cards planned into people's queues (`Workspace::queued_at_stage` not
    /// zero), a bit per stage.
    pub(super) queued_stages: u64,
    /// The stages whose input is more than their feed, a bit per stage: their environment is
    /// down, or cards already on the board wait in their own queues (orphans, pool, rework).
    pub(super) beyond_feed: u64,
    /// Per stage: where its new cards come from (the policy's hand-off or release, read at
    /// every dispatch).
    pub(super) feed: PerStage<Feed>,
    /// Whether answerers of missing inputs are at work now.
    pub(super) answering: bool,
    /// The clock (hours).
    pub(super) now: f64,
    /// Up to when the areas are integrated (hours).
    pub(super) integrated_to: f64,
    /// The id the next card gets.
    pub(super) next_card_id: u64,
    /// Days started so far.
    pub(super) day_index: u64,

    // Counters.
    /// Cards in the backlog.
    pub(super) n_backlog: u32,
    /// Cards in clarification.
    pub(super) n_clarify: u32,
    /// Whether the backlog is known to be in arrival order (cards only ever joined at its
    /// back since it was last empty); see `Sim::best_in_backlog`.
    pub(super) backlog_in_order: bool,
    /// Committed cards not finished (system WIP).
    pub(super) system_wip: u32,
    /// Per stage: cards counted against its WIP.
    pub(super) stage_wip: PerStage<u32>,
    /// People present.
    pub(super) n_present: u32,
    /// People working.
    pub(super) n_working: u32,
    /// Person-hours per hour lost to pairing (the sum of the cards' `pair_loss`).
    pub(super) pair_loss_rate: f64,
    /// Present idle people, per cause.
    pub(super) n_idle: [u32; IdleCause::COUNT],
    /// People present and not working, a bit per person (`PersonState::is_free`).
    pub(super) free: u128,
    /// Live cards (and rollbacks) of a class other than standard; while zero, queues are
    /// taken in order without comparing keys.
    pub(super) n_priority_cards: u32,
    /// Cards arrived since the start.
    pub(super) arrived_total: u64,
    /// Cards finished since the start.
    pub(super) finished_total: u64,
    /// Time-weighted areas since the start.
    pub(super) areas: Areas,
    /// The areas at the end of warm-up.
    pub(super) at_warmup: Areas,
    /// The areas at the start of the current week.
    pub(super) at_week: Areas,
    /// Past the warm-up: statistics count.
    pub(super) warmed_up: bool,
    /// Counters since the warm-up.
    pub(super) tally: Tally,
    /// The current calendar week.
    pub(super) week: usize,
    /// Cards finished this week.
    pub(super) week_finished: u64,
    /// The weekly series, one row of `n_series` values a week.
    pub(super) weekly: Vec<f64>,
    /// Whether weekly rows go to the workspace's `weekly_sink` as each week closes (`weekly`
    /// then holds one row).
    pub(super) stream_weekly: bool,
    /// Values per week in `weekly`.
    pub(super) n_series: usize,
    /// Events handled.
    pub(super) n_events: u64,
    /// Whether nothing has changed since the last event ended with a full dispatch (see
    /// `Sim::settle`): a poll that then pulls nothing needs no dispatch of its own.
    pub(super) settled: bool,
    /// While `settled`: the earliest time the clock could change what a dispatch does (a
    /// present person's normal day end, a conservative puller's delay; hours); not a number
    /// until a shortcut needs it (`Sim::clock_due`).
    pub(super) settled_until: f64,
    /// Polling stages whose poll is parked, a bit per stage: their last poll pulled nothing
    /// on a settled board, so every poll until the next other event would do nothing too
    /// (see `Sim::poll`). The next other event schedules the poll again (`Sim::wake_polls`).
    pub(super) polls_parked: u64,
    /// Per stage: the time of its last poll (hours; never polled: negative infinity).
    pub(super) last_poll: Vec<f64>,
    /// Per stage: the time its pending poll is scheduled for (hours; none: infinity).
    pub(super) next_poll: Vec<f64>,
    /// Whether idle polls park (always, but for the test that compares with every poll run).
    pub(super) park_polls: bool,
    /// Whether a standard arrival behind a card the backlog would give next, on a settled
    /// board, skips its dispatch (off only in tests that compare both).
    pub(super) quiet_arrivals: bool,
    /// Whether standard cards draw their attributes only when they leave the backlog: no
    /// fixed dates are drawn and no planner reads the backlog's estimates (see
    /// `Sim::new_card`).
    pub(super) lazy_draws: bool,
    /// Under a plan sized by throughput: `finished_total` at the last plan.
    pub(super) finished_at_plan: u64,
    /// Under a plan sized by throughput: the fraction of a card owed to the next plan.
    pub(super) plan_credit: f64,
    /// The end of the current planning period (hours; infinite before the first plan).
    pub(super) plan_end_now: f64,
}

impl PersonState {
    /// Present and not working on anything.
    #[inline]
    pub(super) fn is_free(&self) -> bool {
        self.present && self.active == NONE
    }
}

impl Sim<'_> {
    /// Records a step of the history when tracing is on (`step` runs only then).
    #[inline]
    pub(super) fn trace(&mut self, step: impl FnOnce(&Self) -> Trace) {
        if self.ws.trace.is_none() {
            return;
        }
        if let Some(mut trace) = self.ws.trace.take() {
            trace.push(step(self));
            self.ws.trace = Some(trace);
        }
    }
}

impl<'a> Sim<'a> {
    pub(super) fn new(
        model: &'a Model,
        policy: &'a Policy,
        streams: Streams,
        ws: &'a mut Workspace,
    ) -> Self {
        let s = model.stages.len();
        let np = model.people.len();
        let stream_weekly = ws.weekly_sink.is_some();
        ws.queue.clear();
        ws.cards.clear();
        ws.free_slots.clear();
        ws.efforts.clear();
        ws.estimates.clear();
        ws.return_shares.clear();
        ws.assignee.clear();
        ws.backlog.clear();
        ws.ready.clear();
        ws.done_waiting.reset(s, VecDeque::clear);
        ws.pool.reset(s, VecDeque::clear);
        ws.orphans.reset(s, VecDeque::clear);
        ws.rework.reset(s, VecDeque::clear);
        ws.queued_for.reset(np, VecDeque::clear);
        ws.queued_at_stage.reset(s, |n| *n = 0);
        ws.doing.resize_with(s, Vec::new);
        ws.doing.truncate(s);
        ws.doing.iter_mut().for_each(Vec::clear);
        ws.syncing.resize_with(s, Vec::new);
        ws.syncing.truncate(s);
        ws.syncing.iter_mut().for_each(Vec::clear);
        ws.sync_batch.clear();
        ws.speed.clear();
        ws.n_skills.reset(np, |n| *n = 0);
        ws.skilled_people.reset(s, |b| *b = 0);
        ws.skilled_stages.reset(np, |b| *b = 0);
        assert!(s <= 64, "validated board size");
        assert!(np <= MAX_TEAM, "validated team size");
        for (i, person) in model.people.iter().enumerate() {
            ws.speed.extend_from_slice(&person.speed);
            ws.n_skills[i] = person.speed.iter().filter(|&&v| v > 0.0).count() as u32;
            let mut bits = 0u64;
            for (k, &v) in person.speed.iter().enumerate() {
                if v > 0.0 {
                    ws.skilled_people[k] |= 1u128 << i;
                    bits |= 1 << k;
                }
            }
            ws.skilled_stages[i] = bits;
        }
        // Every place in use is set just below.
        ws.people.reset(np, |_| {});
        for i in 0..np {
            ws.people[i] = PersonState::new(
                streams.stream(StreamKind::Person, i as u64),
                model.people[i].wip_limit,
            );
        }
        ws.load.clear();
        ws.load.resize(np, 0.0);
        ws.plan.reset();
        ws.live.reset(np, s);
        ws.answer_queue.clear();
        ws.answerers.clear();
        let n_answerers = model
            .disruptions
            .missing_input
            .as_ref()
            .map_or(0, |mi| mi.answerers);
        ws.answerers.resize(
            n_answerers as usize,
            Answerer {
                card: NONE,
                left: 0.0,
                since: 0.0,
                version: 0,
            },
        );
        let window = model.disruptions.fatigue_window_days.max(1) as usize;
        ws.overtime_ring.clear();
        ws.overtime_ring.resize(np * window, 0.0);
        ws.lead_times.clear();
        ws.card_log.clear();
        ws.cycle_times.clear();
        ws.start_times.clear();
        let areas = Areas {
            stage: vec![0.0; s],
            ..Default::default()
        };
        let n_series = N_WEEKLY_FIXED + s;

        Sim {
            model,
            policy,
            ws,
            streams,
            arrivals_rng: streams.stream(StreamKind::Arrivals, 0),
            expedite_rng: streams.stream(StreamKind::Arrivals, 1),
            interarrival: match model.arrivals.process {
                ArrivalProcess::Poisson { rate_per_h } => {
                    Some(Dist::exponential(1.0 / rate_per_h).expect("validated rate"))
                }
                _ => None,
            },
            replay: ReplayCursor::default(),
            expedite_gap: (model.classes.expedite_rate_per_h > 0.0).then(|| {
                Dist::exponential(1.0 / model.classes.expedite_rate_per_h).expect("validated rate")
            }),
            n_stages: s,
            days_per_week: model.days_per_week() as u64,
            down_since: PerStage::new(s, f64::NAN),
            pulled_at: vec![f64::NEG_INFINITY; s],
            detect_at: vec![f64::NAN; s],
            rollback_work: vec![0.0; s],
            last_deploy: model.stages.iter().rposition(|st| st.deployment.is_some()),
            conservative_pullers: model
                .stages
                .iter()
                .any(|st| st.pull_below.is_some() || st.pull_delay_h > 0.0),
            room_limit: PerStage::from_fn(s, |k| match model.stages.get(k) {
                Some(st) => match st.wip_limit {
                    Some(l) if policy.stage_limits => l,
                    _ => u32::MAX,
                },
                None => 0,
            }),
            feed: PerStage::from_fn(s, |k| Feed::of(policy, k)),
            queued_stages: 0,
            beyond_feed: 0,
            may_hold_back: (0..s).fold(0, |bits, k| {
                let may = if k == 0 {
                    !matches!(policy.release, Release::OnPull)
                } else {
                    matches!(policy.handoffs[k], Handoff::Pull { poll_every_h } if poll_every_h > 0.0)
                };
                if may { bits | 1 << k } else { bits }
            }),
            answering: model.calendar == Calendar::AlwaysOn,
            now: 0.0,
            integrated_to: 0.0,
            next_card_id: 0,
            day_index: 0,

            n_backlog: 0,
            n_clarify: 0,
            backlog_in_order: true,
            system_wip: 0,
            stage_wip: PerStage::new(s, 0),
            n_present: 0,
            n_working: 0,
            pair_loss_rate: 0.0,
            n_idle: [0; IdleCause::COUNT],
            free: 0,
            n_priority_cards: 0,
            arrived_total: 0,
            finished_total: 0,
            at_warmup: areas.clone(),
            at_week: areas.clone(),
            areas,
            warmed_up: model.warmup_h <= 0.0,
            tally: Tally::default(),
            week: 0,
            week_finished: 0,
            stream_weekly,
            weekly: vec![
                0.0;
                if stream_weekly {
                    n_series
                } else {
                    model.weeks() * n_series
                }
            ],
            n_series,
            n_events: 0,
            settled: false,
            settled_until: f64::NEG_INFINITY,
            polls_parked: 0,
            last_poll: vec![f64::NEG_INFINITY; s],
            next_poll: vec![f64::INFINITY; s],
            park_polls: true,
            quiet_arrivals: true,
            lazy_draws: model.classes.fixed_date_share <= 0.0 && !policy.planned(),
            finished_at_plan: 0,
            plan_credit: 0.0,
            plan_end_now: f64::INFINITY,
        }
    }
}

/// Where a replayed history stands in a replication (see `clock::next_replayed`).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ReplayCursor {
    /// Index of the next history card.
    pub(super) next: usize,
    /// End (exclusive) of the current pass or history week.
    pub(super) end: usize,
    /// Hours added to the history's times.
    pub(super) offset: f64,
    /// The simulated week being filled (resampling).
    pub(super) week: u64,
}
