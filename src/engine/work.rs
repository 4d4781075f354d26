//! People working cards: holding a card, starting and stopping work on it, and the rate
//! at which its work goes down (speed, multitasking, pairing), which schedules its completion.
//!
//! Under time-slicing (`Policy::time_slicing`) a person at work on a card they hold progresses
//! every card they hold that is not blocked, each at an equal share of the useful part of their
//! speed (`TimeSlicing::useful_share` of the cards held). The person's `active` card is then
//! one of those cards (the one they took or resumed, which lists them as a worker); the others
//! progress without listing them. Whatever changes the cards held, their blocks or whether the
//! person works (`hold`, `unhold`, `start_working`, `stop_working`, blocks and unblocks)
//! calls `reslice`, which brings every held card up to date and reschedules it.

use super::state::{CardState, NONE, Sim};
use super::{Event, Trace};
use crate::limits::MAX_HELD;
use crate::model::Multitasking;

impl Sim<'_> {
    /// `person` becomes the card's holder. Taking over a card somebody else let go costs the
    /// hand-over; getting one's own card back costs nothing.
    pub(super) fn hold(&mut self, person: usize, slot: u32) {
        let s = self.ws.cards[slot as usize].stage as usize;
        let handover = self.model.disruptions.handover_cost_h;
        let c = &mut self.ws.cards[slot as usize];
        c.state = CardState::Doing;
        c.holder = person as u32;
        let from = std::mem::replace(&mut c.handover_from, NONE);
        if from != NONE && from != person as u32 {
            c.remaining += handover;
        }
        self.ws.doing[s].push(slot);
        let ps = &mut self.ws.people[person];
        ps.held[ps.n_held as usize] = slot;
        ps.n_held += 1;
        self.reslice(person);
        self.trace(|sim| Trace::Hold {
            t: sim.now,
            card: sim.ws.cards[slot as usize].id,
            stage: s,
            person,
        });
    }

    /// The person lets go of the first card they hold: all work on it stops and it leaves
    /// them. Returns the card, or None when they hold none.
    pub(super) fn let_go(&mut self, person: usize) -> Option<u32> {
        let ps = &self.ws.people[person];
        if ps.n_held == 0 {
            return None;
        }
        let slot = ps.held[0];
        self.deactivate(slot);
        self.unhold(slot);
        Some(slot)
    }

    /// The card leaves its holder (finished, orphaned or reassigned).
    pub(super) fn unhold(&mut self, slot: u32) {
        let c = &mut self.ws.cards[slot as usize];
        let holder = c.holder;
        let s = c.stage as usize;
        c.holder = NONE;
        let doing = &mut self.ws.doing[s];
        if let Some(pos) = doing.iter().position(|&x| x == slot) {
            doing.swap_remove(pos);
        }
        if holder == NONE {
            return;
        }
        let ps = &mut self.ws.people[holder as usize];
        let n = ps.n_held as usize;
        if let Some(k) = ps.held[..n].iter().position(|&x| x == slot) {
            ps.held.copy_within(k + 1..n, k);
            ps.held[n - 1] = NONE;
            ps.n_held -= 1;
        }
        // The holder's useful share may have changed.
        let active = ps.active;
        if self.policy.time_slicing.is_some() {
            self.reslice(holder as usize);
        } else if active != NONE
            && active != slot
            && self.model.multitasking == Multitasking::Weinberg
        {
            self.reschedule(active);
        }
    }

    /// `person` starts on a card they were just given: as their active card when they work on
    /// nothing, or (time-slicing, already at work) as one more card they progress at once.
    pub(super) fn start_on(&mut self, person: usize, slot: u32) {
        if self.ws.people[person].active == NONE {
            self.activate(person, slot);
            return;
        }
        debug_assert!(self.policy.time_slicing.is_some());
        self.first_touch(slot);
        let c = &mut self.ws.cards[slot as usize];
        if c.input_pending {
            // Missing input found when work starts: the card blocks at once.
            c.input_pending = false;
            self.mark_blocked(slot);
            self.request_input(slot);
        }
        self.reslice(person);
    }

    /// The first hour of work on a card: it is started (for start-to-done and the blocker
    /// rate) unless it already was.
    fn first_touch(&mut self, slot: u32) {
        let c = &mut self.ws.cards[slot as usize];
        if !c.started {
            c.started = true;
            c.first_work = self.now;
            // The blocker rate counts cards started after warm-up, and each of them once if
            // it ever waited on an input or a blocker, before its start (clarification) or
            // after.
            if self.warmed_up {
                c.start_counted = true;
                self.tally.started += 1;
                if c.ever_blocked {
                    self.tally.started_blocked += 1;
                }
            }
        }
    }

    /// Whether `person` works on a card they hold (and so, under time-slicing, on every card
    /// they hold that may progress).
    #[inline]
    fn works_own(&self, person: usize) -> bool {
        let ps = &self.ws.people[person];
        ps.present && ps.active != NONE && self.ws.cards[ps.active as usize].holder == person as u32
    }

    /// Whether the card progresses under its holder `person`'s time-slicing now: they work on
    /// their own cards, and this one is held, not blocked, and allowed in their overtime.
    #[inline]
    fn sliced(&self, person: usize, slot: u32) -> bool {
        let c = &self.ws.cards[slot as usize];
        c.state == CardState::Doing
            && !c.blocked
            && self.works_own(person)
            && self.overtime_allows(person, slot)
    }

    /// Under time-slicing: the share of `person`'s speed each card they progress gets (the
    /// useful share of the cards held, split evenly over the cards progressing); 0 when they
    /// work on none of their own.
    fn slice_share(&self, person: usize) -> f64 {
        let Some(ts) = self.policy.time_slicing else {
            return 0.0;
        };
        let ps = &self.ws.people[person];
        let n = ps.held[..ps.n_held as usize]
            .iter()
            .filter(|&&c| self.sliced(person, c))
            .count();
        if n == 0 {
            return 0.0;
        }
        ts.useful_share(ps.n_held) / n as f64
    }

    /// Under time-slicing: brings every card `person` holds up to now and reschedules it at
    /// its share of their speed (nothing otherwise).
    #[inline]
    pub(super) fn reslice(&mut self, person: usize) {
        if self.policy.time_slicing.is_some() {
            self.reslice_held(person);
        }
    }

    /// `reslice`'s work, under time-slicing.
    #[inline(never)]
    fn reslice_held(&mut self, person: usize) {
        for k in 0..self.ws.people[person].n_held as usize {
            let slot = self.ws.people[person].held[k];
            self.reschedule(slot);
        }
    }

    /// Under time-slicing, at `person`'s day end: the cards they progress that complete at
    /// this very instant are done before they leave (their completion events would find
    /// nobody at work).
    pub(super) fn finish_sliced_now(&mut self, person: usize) {
        if self.policy.time_slicing.is_none() {
            return;
        }
        // The cards progressing now, brought up to now first: one finishing may stop the
        // others for an instant (its holder is then at work on none of their cards).
        let mut due = [NONE; MAX_HELD];
        let mut n = 0;
        for k in 0..self.ws.people[person].n_held as usize {
            let slot = self.ws.people[person].held[k];
            self.progress(slot);
            let c = &self.ws.cards[slot as usize];
            if c.rate > 0.0 && c.remaining <= 1e-9 {
                due[n] = slot;
                n += 1;
            }
        }
        for &slot in &due[..n] {
            let c = &self.ws.cards[slot as usize];
            if c.holder == person as u32 && c.state == CardState::Doing {
                self.stage_done(slot);
            }
        }
    }

    /// `person` starts (or resumes) working on a card they hold or help with.
    pub(super) fn activate(&mut self, person: usize, slot: u32) {
        let s = self.ws.cards[slot as usize].stage as usize;
        let helper = self.ws.cards[slot as usize].holder != person as u32;
        let id = Some(self.ws.cards[slot as usize].id);
        // Resuming the card one was on (after a night, say) is not a switch.
        let turned = !helper && std::mem::replace(&mut self.ws.people[person].last_card, id) != id;
        // A time-slicing person never turns from one card to another: all progress at once.
        if turned && self.ws.people[person].n_held >= 2 && self.policy.time_slicing.is_none() {
            self.tally.switches += 1;
            if let Multitasking::SwitchCost { hours } = self.model.multitasking {
                self.progress(slot);
                self.ws.cards[slot as usize].remaining += hours * self.speed(person, s);
            }
        }
        self.first_touch(slot);
        let c = &mut self.ws.cards[slot as usize];
        c.workers[c.n_workers as usize] = person as u32;
        c.n_workers += 1;
        self.start_working(person, slot);
        // Missing input found when work starts: the card blocks at once.
        let c = &mut self.ws.cards[slot as usize];
        if c.input_pending {
            c.input_pending = false;
            self.block(slot);
            self.request_input(slot);
            return;
        }
        self.reschedule(slot);
    }

    /// Everybody stops working on the card (it stays with its holder).
    pub(super) fn deactivate(&mut self, slot: u32) {
        self.progress(slot);
        let n = self.ws.cards[slot as usize].n_workers as usize;
        for k in 0..n {
            let w = self.ws.cards[slot as usize].workers[k] as usize;
            self.stop_working(w);
        }
        let c = &mut self.ws.cards[slot as usize];
        c.n_workers = 0;
        c.rate = 0.0;
        c.version = c.version.wrapping_add(1);
        self.update_pair_loss(slot);
    }

    /// Brings the card's pairing loss (and the total) up to date with its present workers:
    /// `n x (1 - pairing_efficiency)` person-hours per hour while `n > 1` present people work
    /// it, nothing otherwise. Those hours are neither work nor idleness: utilisation leaves
    /// them out and `pairing_loss_h_per_person_week` reports them.
    pub(super) fn update_pair_loss(&mut self, slot: u32) {
        let c = &self.ws.cards[slot as usize];
        if c.n_workers <= 1 && c.pair_loss == 0.0 {
            // No pairing before or after: the total stays as it is (it is never a negative
            // zero nor below the 1e-9 clamp after an update, so nothing would change it).
            return;
        }
        let n = c.workers[..c.n_workers as usize]
            .iter()
            .filter(|&&w| self.ws.people[w as usize].present)
            .count();
        let loss = if n > 1 && c.rate > 0.0 {
            n as f64 * (1.0 - self.policy.swarming.map_or(1.0, |sw| sw.pairing_efficiency))
        } else {
            0.0
        };
        let old = std::mem::replace(&mut self.ws.cards[slot as usize].pair_loss, loss);
        self.pair_loss_rate += loss - old;
        if self.pair_loss_rate.abs() < 1e-9 {
            self.pair_loss_rate = 0.0;
        }
    }

    /// Brings the card's remaining work up to now at its current rate.
    #[inline]
    pub(super) fn progress(&mut self, slot: u32) {
        let c = &mut self.ws.cards[slot as usize];
        let dt = self.now - c.since;
        if c.rate > 0.0 {
            c.remaining = (c.remaining - c.rate * dt).max(0.0);
            c.touch += dt;
        }
        c.since = self.now;
    }

    /// Recomputes the card's rate from its present workers and schedules its completion.
    /// Under time-slicing its holder gives it their slice whether or not it is their active
    /// card (helpers give their whole speed, as without time-slicing).
    pub(super) fn reschedule(&mut self, slot: u32) {
        self.progress(slot);
        let s = self.ws.cards[slot as usize].stage as usize;
        let c = &self.ws.cards[slot as usize];
        let slicing = self.policy.time_slicing.is_some();
        let mut speed = 0.0;
        let mut n = 0;
        for &w in &c.workers[..c.n_workers as usize] {
            let ps = &self.ws.people[w as usize];
            if ps.present {
                if !(slicing && w == c.holder) {
                    speed += self.ws.speed[w as usize * self.n_stages + s]
                        * self.model.multitasking.useful_share(ps.n_held);
                }
                n += 1;
            }
        }
        if n > 1 {
            speed *= self.policy.swarming.map_or(1.0, |sw| sw.pairing_efficiency);
        }
        if slicing && c.holder != NONE && self.sliced(c.holder as usize, slot) {
            let h = c.holder as usize;
            let mut own = self.speed(h, s) * self.slice_share(h);
            if n > 1 {
                own *= self.policy.swarming.map_or(1.0, |sw| sw.pairing_efficiency);
            }
            speed += own;
        }
        let c = &mut self.ws.cards[slot as usize];
        c.rate = speed;
        c.version = c.version.wrapping_add(1);
        self.update_pair_loss(slot);
        let c = &mut self.ws.cards[slot as usize];
        if speed > 0.0 {
            let t = self.now + c.remaining / speed;
            let version = c.version;
            self.ws.queue.push(
                t,
                Event::StageDone {
                    card: slot,
                    version,
                },
            );
        }
    }

    #[inline]
    pub(super) fn speed(&self, person: usize, s: usize) -> f64 {
        self.ws.speed[person * self.n_stages + s]
    }

    pub(super) fn start_working(&mut self, person: usize, slot: u32) {
        self.set_idle(person, None);
        let ps = &mut self.ws.people[person];
        debug_assert!(ps.present && ps.active == NONE);
        ps.active = slot;
        ps.work_since = self.now;
        self.free &= !(1 << person);
        self.n_working += 1;
        self.reslice(person);
    }

    /// `person` leaves the workers of card `slot` (their active card) and stops working on it;
    /// the caller reschedules the card.
    pub(super) fn leave_card(&mut self, person: usize, slot: u32) {
        let c = &mut self.ws.cards[slot as usize];
        let n = c.n_workers as usize;
        let k = c.workers[..n]
            .iter()
            .position(|&w| w == person as u32)
            .expect("worker on card");
        c.workers.copy_within(k + 1..n, k);
        c.n_workers -= 1;
        self.stop_working(person);
    }

    /// The person stops working on their active card.
    pub(super) fn stop_working(&mut self, person: usize) {
        let now = self.now;
        let ps = &mut self.ws.people[person];
        ps.active = NONE;
        if ps.present {
            ps.worked_h += now - ps.work_since;
            self.n_working -= 1;
            self.free |= 1 << person;
        }
        self.reslice(person);
    }
}
