//! The event loop: what starts a replication, and what each event does.
//!
//! `run` pops events in time order; `handle` turns each into calls to the mechanism that
//! owns it (cards, people, planning, inputs...), then lets free people take work.

use super::Event;
use super::state::{ClassOfService, NONE, Sim};
use crate::model::{ArrivalProcess, Calendar, HOURS_PER_WEEK, ReplayClass, ReplayFill};
use crate::policy::{Handoff, Release};
use rand::RngExt;

impl Sim<'_> {
    pub(super) fn run(&mut self) -> Result<(), String> {
        self.start();
        let horizon = self.model.horizon_h;
        while let Some((t, ev)) = self.ws.queue.pop() {
            // (A time that is not a number can only come from bad input; stop rather than loop.)
            if t.is_nan() || t >= horizon {
                break;
            }
            if self.ws.audit && t < self.now {
                return Err(format!("clock went back from {} to {t}", self.now));
            }
            self.advance(t);
            self.n_events += 1;
            // Polls, the one event that may come every hundredth of an hour, skip the
            // general handler.
            if let Event::Poll { stage } = ev {
                let settled = std::mem::take(&mut self.settled);
                self.poll(stage, settled);
            } else {
                self.handle(ev);
                if self.polls_parked != 0 {
                    self.wake_polls(None);
                }
            }
            if self.ws.audit {
                self.audit()
                    .and_then(|()| self.liveness())
                    .map_err(|e| format!("t = {:.4} h after {ev:?}: {e}", self.now))?;
            }
        }
        self.advance(horizon);
        Ok(())
    }

    fn start(&mut self) {
        let model = self.model;
        for _ in 0..model.arrivals.initial_backlog {
            self.arrive(ClassOfService::Standard);
        }
        match model.arrivals.process {
            ArrivalProcess::Poisson { .. } => {
                let t = self.next_gap(false);
                self.ws.queue.push(t, Event::Arrival);
            }
            ArrivalProcess::Batch { .. } => self.ws.queue.push(0.0, Event::Batch),
            ArrivalProcess::Replay(ref r) => {
                self.replay = super::state::ReplayCursor {
                    end: r.cards.len(),
                    ..Default::default()
                };
                if r.fill == ReplayFill::Resample {
                    self.replay.week = u64::MAX;
                    self.replay.end = 0;
                }
                self.next_replayed();
            }
            ArrivalProcess::None | ArrivalProcess::Unlimited => {}
        }
        if self.expedite_gap.is_some() {
            let t = self.next_gap(true);
            self.ws.queue.push(t, Event::Expedite);
        }
        if let Calendar::AlwaysOn = model.calendar {
            for i in 0..model.people.len() {
                if !self.scheduled_absent(i, 0.0) {
                    self.come_in(i, f64::INFINITY, f64::INFINITY);
                }
            }
        }
        let needs_days = matches!(model.calendar, Calendar::Working { .. })
            || self.policy.planned()
            || model.disruptions.blockers.is_some()
            || model
                .people
                .iter()
                .any(|p| p.sick_chance_per_day > 0.0 || !p.absences.is_empty());
        if needs_days {
            self.ws
                .queue
                .push(model.calendar.day_start(0), Event::DayStart);
        }
        if HOURS_PER_WEEK < model.horizon_h {
            self.ws.queue.push(HOURS_PER_WEEK, Event::WeekEnd);
        }
        if let Release::Cadence { every_h } = self.policy.release
            && every_h > 0.0
        {
            self.ws.queue.push(0.0, Event::Replenish);
        }
        for (s, h) in self.policy.handoffs.iter().enumerate() {
            if let Handoff::Pull { poll_every_h } = *h
                && poll_every_h > 0.0
                && s > 0
            {
                self.schedule_poll(s, poll_every_h);
            }
        }
        if model.warmup_h > 0.0 {
            self.ws.queue.push(model.warmup_h, Event::WarmupEnd);
        }
        self.settle();
    }

    fn next_gap(&mut self, expedite: bool) -> f64 {
        let (d, rng) = if expedite {
            (self.expedite_gap.as_ref(), &mut self.expedite_rng)
        } else {
            (self.interarrival.as_ref(), &mut self.arrivals_rng)
        };
        self.now + d.expect("poisson process").sample(rng)
    }

    /// Schedules the next card of a replayed history within the horizon, if any: the history
    /// once, passes of it (`repeat`), or one history week drawn from the arrivals stream for
    /// each simulated week (`resample`), so every policy sees the same arrivals.
    fn next_replayed(&mut self) {
        let ArrivalProcess::Replay(ref r) = self.model.arrivals.process else {
            return;
        };
        let horizon = self.model.horizon_h;
        let c = &mut self.replay;
        loop {
            if c.next < c.end {
                let t = r.cards[c.next].at_h + c.offset;
                if t < horizon {
                    self.ws.queue.push(
                        t,
                        Event::Replay {
                            card: c.next as u32,
                        },
                    );
                }
                return;
            }
            match r.fill {
                ReplayFill::Once => return,
                ReplayFill::Repeat => {
                    c.offset += r.weeks as f64 * HOURS_PER_WEEK;
                    c.next = 0;
                    if c.offset >= horizon {
                        return;
                    }
                }
                ReplayFill::Resample => {
                    c.week = c.week.wrapping_add(1);
                    let start = c.week as f64 * HOURS_PER_WEEK;
                    if start >= horizon {
                        return;
                    }
                    let w = self.arrivals_rng.random_range(0..r.weeks as usize);
                    c.offset = start - w as f64 * HOURS_PER_WEEK;
                    c.next = r.week_starts[w];
                    c.end = r.week_starts[w + 1];
                }
            }
        }
    }

    /// Whether a dispatch now could change something on a settled board through the clock,
    /// its only dependence on time: a present person's normal day end (free people past it go
    /// home, and overtime rules apply from it), or the end of a conservative puller's delay
    /// (`Sim::puller_ready`, which counts a delay as over 1e-9 h early). The earliest such
    /// time is noted at the first check after `settle` (nothing changes people or
    /// `pulled_at` meanwhile).
    #[inline]
    fn clock_due(&mut self) -> bool {
        // Round the clock nobody's day ends.
        if matches!(self.model.calendar, Calendar::AlwaysOn) && !self.conservative_pullers {
            return false;
        }
        if self.settled_until.is_nan() {
            let mut until = self
                .ws
                .people
                .iter()
                .filter(|ps| ps.present)
                .fold(f64::INFINITY, |m, ps| m.min(ps.normal_end));
            if self.conservative_pullers {
                for (s, st) in self.model.stages.iter().enumerate() {
                    let ready_at = self.pulled_at[s] + st.pull_delay_h;
                    if st.pull_delay_h > 0.0 && ready_at - 1e-9 > self.now {
                        until = until.min(ready_at);
                    }
                }
            }
            self.settled_until = until;
        }
        self.now >= self.settled_until - 1e-9
    }

    /// Lets free people take work, and notes that the board is settled: until the next event
    /// that changes anything, another dispatch would change nothing.
    #[inline]
    fn settle(&mut self) {
        self.dispatch();
        self.settled = true;
        self.settled_until = f64::NAN;
    }

    /// A periodic pull into `stage`: everything waiting upstream that fits is pulled into the
    /// stage at once; its people then work it whenever they are there. `settled` is whether
    /// the board was settled before this event.
    ///
    /// Polls fall on the stage's lattice of whole multiples of its interval. A poll that pulls
    /// nothing on a settled board, before the clock could change anything (`clock_due`: a
    /// present person's normal day end, a conservative puller's delay), *parks* the stage's
    /// polls: until another event changes the board, each later poll would find the same
    /// board and do nothing, so none is scheduled (idle time costs nothing). Another event
    /// wakes them at the first lattice time from then on when a poll could then do something
    /// (`wake_polls`); otherwise the first lattice time from that clock time does.
    #[inline]
    fn poll(&mut self, stage: u32, settled: bool) {
        let s = stage as usize;
        let Handoff::Pull {
            poll_every_h: every,
        } = self.policy.handoffs[s]
        else {
            return;
        };
        self.last_poll[s] = self.now;
        self.next_poll[s] = f64::INFINITY;
        // A GitOps poll syncs every waiting change into the stage as one deployment.
        if self.policy.gitops[s].is_some() {
            self.gitops_sync(s, None);
            self.settle();
        } else {
            let pulled = !self.ws.done_waiting[s - 1].is_empty() && self.pull_waiting(s);
            // A poll that pulls nothing on a settled board costs no dispatch: the dispatch
            // would find the board as the last one left it.
            if !pulled && settled && !self.clock_due() {
                self.settled = true;
                if self.park_polls {
                    self.polls_parked |= 1 << s;
                    self.poll_when_due(s, every);
                    return;
                }
            } else {
                self.settle();
                // Pulled: the stage's next poll is decided as a parked stage's is, by
                // `wake_polls` (the next lattice time while more waits upstream with room or
                // the clock's time has come; otherwise it stays parked rather than poll once
                // more to find the board this poll leaves).
                if pulled && self.park_polls {
                    self.polls_parked |= 1 << s;
                    self.wake_polls(Some(s));
                    return;
                }
            }
        }
        let t = poll_time(every, self.now, self.now);
        self.schedule_poll(s, t);
        // What this poll changed may give other stages' polls something to do.
        if self.polls_parked != 0 {
            self.wake_polls(Some(s));
        }
    }

    /// Schedules stage `s`'s next poll at `t` (hours), in place of any pending one.
    #[inline]
    fn schedule_poll(&mut self, s: usize, t: f64) {
        if self.next_poll[s].is_finite() {
            self.ws.queue.remove_poll(s as u32);
        }
        self.next_poll[s] = t;
        self.ws.queue.push_poll(t, s as u32);
    }

    /// A parked stage `s` polls at the first lattice time from the earliest time the clock
    /// could change anything (`clock_due`; on a settled board the one thing a later poll could
    /// change), unless it already polls earlier.
    fn poll_when_due(&mut self, s: usize, every: f64) {
        let until = self.settled_until;
        if until.is_finite() {
            let t = poll_time(every, self.last_poll[s], until - 1e-9);
            if t < self.next_poll[s] {
                self.schedule_poll(s, t);
            }
        }
    }

    /// After an event that changed the board (anything but a poll that parked): each parked
    /// stage whose poll could now do something (the board is not settled, or cards wait
    /// upstream and the stage has room, or the clock's time has come, `clock_due`) polls
    /// again at its first lattice time from now on (after its last poll); the others stay
    /// parked, polling at the clock's time still to come.
    ///
    /// `by_poll` is the stage of the poll that woke them, if one did. Polls due at one
    /// instant run in stage order (`EventQueue::push_poll`), so a parked stage before it,
    /// whose poll at this instant would have come first, waits for its next lattice time.
    #[inline(never)]
    fn wake_polls(&mut self, by_poll: Option<usize>) {
        let mut parked = self.polls_parked;
        while parked != 0 {
            let s = parked.trailing_zeros() as usize;
            parked &= parked - 1;
            let Handoff::Pull {
                poll_every_h: every,
            } = self.policy.handoffs[s]
            else {
                continue;
            };
            let may_pull = !self.ws.done_waiting[s - 1].is_empty() && self.stage_room(s);
            if !self.settled || may_pull || self.clock_due() {
                self.polls_parked &= !(1 << s);
                let mut t = poll_time(every, self.last_poll[s], self.now);
                if let Some(by) = by_poll
                    && t == self.now
                    && s < by
                {
                    t = poll_time(every, self.now, self.now);
                }
                self.schedule_poll(s, t);
            } else {
                self.poll_when_due(s, every);
            }
        }
    }

    /// Pulls what waits upstream of stage `s` into it while it has room; whether any card came.
    #[inline(never)]
    fn pull_waiting(&mut self, s: usize) -> bool {
        let mut pulled = false;
        while self.stage_room(s)
            && let Some(i) = self.best_in(&self.ws.done_waiting[s - 1])
        {
            let slot = self.ws.done_waiting[s - 1]
                .remove(i)
                .expect("index in queue");
            let work = self.ws.efforts[slot as usize * self.n_stages + s];
            self.enter_stage(slot, s, work);
            self.push_to_queue(slot, s, false);
            pulled = true;
        }
        pulled
    }

    fn handle(&mut self, ev: Event) {
        // Events that change nothing, or end in `settle`, set this again.
        let settled = std::mem::take(&mut self.settled);
        match ev {
            Event::Arrival => {
                let behind = settled && self.quiet_arrivals && self.backlog_has_next();
                self.arrive(ClassOfService::Standard);
                let t = self.next_gap(false);
                self.ws.queue.push(t, Event::Arrival);
                if behind && self.n_priority_cards == 0 && !self.clock_due() {
                    // Queued behind a card a dispatch could already take: nothing it reads
                    // changed (see `backlog_has_next`), nor has the clock (`clock_due`).
                    self.settled = true;
                } else {
                    self.settle();
                }
            }
            Event::Expedite => {
                if let Some(slot) = self.arrive(ClassOfService::Expedite)
                    && self.policy.planned()
                {
                    self.force_into_plan(slot);
                }
                let t = self.next_gap(true);
                self.ws.queue.push(t, Event::Expedite);
                self.settle();
            }
            Event::Replay { card } => {
                if let ArrivalProcess::Replay(ref r) = self.model.arrivals.process {
                    let rc = r.cards[card as usize];
                    let class = match rc.class {
                        ReplayClass::Standard => ClassOfService::Standard,
                        ReplayClass::Expedite => ClassOfService::Expedite,
                        ReplayClass::FixedDate => ClassOfService::FixedDate,
                    };
                    if let Some(slot) = self.arrive(class) {
                        match rc.class {
                            ReplayClass::FixedDate => {
                                self.ws.cards[slot as usize].due = self.now + rc.due_in_h;
                            }
                            ReplayClass::Expedite if self.policy.planned() => {
                                self.force_into_plan(slot);
                            }
                            _ => {}
                        }
                    }
                    self.replay.next += 1;
                    self.next_replayed();
                }
                self.settle();
            }
            Event::Batch => {
                if let ArrivalProcess::Batch { size, period_h } = self.model.arrivals.process {
                    for _ in 0..size {
                        self.arrive(ClassOfService::Standard);
                    }
                    self.ws.queue.push(self.now + period_h, Event::Batch);
                }
                self.settle();
            }
            Event::StageDone { card, version } => {
                if self.ws.cards[card as usize].version == version {
                    self.stage_done(card);
                    self.settle();
                } else {
                    // A stale completion changes nothing.
                    self.settled = settled;
                }
            }
            Event::Unblock { card } => {
                self.unblock(card);
                self.settle();
            }
            Event::AnswerDone { answerer, version } => {
                let a = &mut self.ws.answerers[answerer as usize];
                if a.version == version && a.card != NONE {
                    let card = a.card;
                    a.card = NONE;
                    self.unblock(card);
                    self.start_answers();
                    self.settle();
                } else {
                    self.settled = settled;
                }
            }
            Event::AnswersOff => {
                if self.answers_off() {
                    self.dispatch();
                }
            }
            Event::DayStart => self.day_start(),
            Event::DayEnd => {
                // Everybody whose day ends now goes home (one event per distinct end time);
                // people idle past their normal end go home too (see `classify_idle`).
                for i in 0..self.model.people.len() {
                    let ps = &self.ws.people[i];
                    if ps.present && self.now >= ps.day_end - 1e-9 {
                        // Work completing at this very instant is done before leaving (its
                        // StageDone, scheduled after this event, would find nobody there);
                        // under time-slicing, every card they progress.
                        self.finish_sliced_now(i);
                        let slot = self.ws.people[i].active;
                        if slot != NONE {
                            self.progress(slot);
                            if self.ws.cards[slot as usize].remaining <= 1e-9 {
                                self.stage_done(slot);
                            }
                        }
                        self.go_home(i);
                    }
                }
                self.start_overtime();
                self.settle();
            }
            Event::WeekEnd => {
                self.close_week();
                let next = (self.week + 1) as f64 * HOURS_PER_WEEK;
                if next < self.model.horizon_h {
                    self.ws.queue.push(next, Event::WeekEnd);
                }
            }
            Event::Replenish => {
                self.release_to_limit();
                if let Release::Cadence { every_h } = self.policy.release {
                    self.ws.queue.push(self.now + every_h, Event::Replenish);
                }
                self.settle();
            }
            Event::Poll { stage } => self.poll(stage, settled),
            Event::Detect { stage } => {
                self.gitops_detect(stage as usize);
                self.settle();
            }
            Event::PullerReady => self.settle(),
            Event::WarmupEnd => self.end_warmup(),
        }
    }
}

/// The first time of a polling lattice (whole multiples of `every` hours, from `every` on)
/// after the poll at `last` (itself on the lattice) and not before `at_least` (hours).
fn poll_time(every: f64, last: f64, at_least: f64) -> f64 {
    let after = if last > 0.0 {
        (last / every).round() as u64
    } else {
        0
    };
    let mut k = ((at_least / every).ceil().max(0.0) as u64).max(after + 1);
    while (k as f64) * every < at_least {
        k += 1;
    }
    while k > after + 1 && ((k - 1) as f64) * every >= at_least {
        k -= 1;
    }
    k as f64 * every
}

#[cfg(test)]
mod poll_lattice_tests {
    use super::poll_time;

    #[test]
    fn polls_fall_on_whole_multiples_of_the_interval() {
        // The next poll after one at 3 x 0.01 h, from now on.
        assert_eq!(poll_time(0.01, 0.03, 0.03), 4.0 * 0.01);
        // Woken later: the first multiple not before the clock.
        assert_eq!(poll_time(0.01, 0.03, 5.0), 500.0 * 0.01);
        assert_eq!(poll_time(0.01, 0.03, 5.001), 501.0 * 0.01);
        assert_eq!(poll_time(24.0, 48.0, 50.0), 72.0);
        // A wake at the very instant of the last poll waits for the next one.
        assert_eq!(poll_time(24.0, 48.0, 48.0), 72.0);
        // Before the first poll.
        assert_eq!(poll_time(0.7, f64::NEG_INFINITY, 0.0), 0.7);
        for k in 1..100_000u64 {
            let t = k as f64 * 0.01;
            assert_eq!(poll_time(0.01, t, t), (k + 1) as f64 * 0.01, "{k}");
            assert_eq!(poll_time(0.01, f64::NEG_INFINITY, t), t, "{k}");
        }
    }
}

#[cfg(test)]
mod replay_tests {
    use super::super::Workspace;
    use super::super::state::{ClassOfService, Sim};
    use crate::rng::Streams;
    use crate::scenario::load_str;

    /// One stage nobody finishes within the horizon (so no card slot is reused and every
    /// card keeps its arrival time), arrivals replayed from `csv`.
    fn cards(
        csv: &str,
        fill: &str,
        weeks: u32,
        policy: &str,
        rep: u64,
    ) -> Vec<(f64, ClassOfService, f64)> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("h.csv"), csv).unwrap();
        let text = format!(
            r#"
[run]
horizon_weeks = {weeks}
[calendar]
mode = "24/7"
[arrivals]
process = "replay"
file = "h.csv"
fill = "{fill}"
[[stages]]
name = "a"
effort = {{ dist = "constant", value = 1e8 }}
[team.x]
skills = {{ a = 1.0 }}
"#
        );
        let path = dir.path().join("s.toml");
        let sc = load_str(&text, &path.display().to_string()).unwrap_or_else(|e| panic!("{e}"));
        let p = sc.policies.iter().find(|p| p.name == policy).unwrap();
        let mut ws = Workspace::default();
        let mut sim = Sim::new(&sc.model, p, Streams::new(9, rep), &mut ws);
        sim.run().unwrap();
        assert_eq!(sim.arrived_total as usize, sim.ws.cards.len());
        sim.ws
            .cards
            .iter()
            .map(|c| (c.arrived, c.class, c.due))
            .collect()
    }

    fn arrivals(csv: &str, fill: &str, weeks: u32, policy: &str, rep: u64) -> Vec<f64> {
        cards(csv, fill, weeks, policy, rep)
            .into_iter()
            .map(|c| c.0)
            .collect()
    }

    const CSV: &str = "created,class,due\n2026-03-03 10:00,,\n2026-03-02 09:30,expedite,\n\
                       2026-03-12,,2026-03-20\n2026-03-25 16:00,,\n";

    #[test]
    fn a_history_replays_exactly_its_arrivals() {
        // 2026-03-02 is a Monday: t = 0 is its midnight.
        let want = [9.5, 34.0, 10.0 * 24.0, 23.0 * 24.0 + 16.0];
        for policy in ["push", "pull", "flow"] {
            assert_eq!(arrivals(CSV, "once", 8, policy, 0), want, "{policy}");
        }
        // Repeated in passes of the history's whole weeks (4), up to the horizon.
        let rep = arrivals(CSV, "repeat", 10, "pull", 0);
        let mut expected: Vec<f64> = Vec::new();
        for pass in 0..3 {
            expected.extend(want.iter().map(|t| t + pass as f64 * 4.0 * 168.0));
        }
        expected.retain(|&t| t < 10.0 * 168.0);
        assert_eq!(rep, expected);
    }

    #[test]
    fn resampled_weeks_are_common_random_numbers() {
        let push = arrivals(CSV, "resample", 30, "push", 3);
        let flow = arrivals(CSV, "resample", 30, "flow", 3);
        assert_eq!(push, flow);
        assert!(push.windows(2).all(|w| w[0] <= w[1]));
        // Each card sits at its history card's time within a week.
        let offsets = [9.5, 34.0, 72.0, 64.0];
        for t in &push {
            let within = t % 168.0;
            assert!(offsets.contains(&within), "{t}");
        }
        assert_ne!(push, arrivals(CSV, "resample", 30, "push", 4));
    }

    #[test]
    fn replayed_classes_and_due_dates_reach_the_cards() {
        let c = cards(CSV, "once", 8, "push", 0);
        assert_eq!(c[0].1, ClassOfService::Expedite);
        assert_eq!(c[1].1, ClassOfService::Standard);
        assert_eq!(c[2].1, ClassOfService::FixedDate);
        // Due eight days after it arrived.
        assert_eq!(c[2].2, 10.0 * 24.0 + 8.0 * 24.0);
        assert_eq!(c[3].2, f64::INFINITY);
    }
}
