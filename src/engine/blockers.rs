//! Blocked cards: a card stops when its missing input is found or a blocking event hits it,
//! and resumes when the input arrives or the blocker clears.

use super::state::{CardState, ClassOfService, NONE, Sim};
use super::{Event, Trace};
use crate::rng::StreamKind;
use rand::RngExt;

impl Sim<'_> {
    /// A card being worked blocks: everybody stops working on it (its holder keeps it).
    pub(super) fn block(&mut self, slot: u32) {
        self.deactivate(slot);
        self.trace(|sim| {
            let c = &sim.ws.cards[slot as usize];
            Trace::Block {
                t: sim.now,
                card: c.id,
                person: c.holder as usize,
            }
        });
        self.mark_blocked(slot);
    }

    /// The card is blocked from now (whether or not anybody was working on it).
    pub(super) fn mark_blocked(&mut self, slot: u32) {
        let c = &mut self.ws.cards[slot as usize];
        c.blocked = true;
        c.block_since = self.now;
        if !c.ever_blocked {
            c.ever_blocked = true;
            // Counted now if its start was (a card blocked before its start is counted when
            // it starts; see `activate`).
            if c.start_counted {
                self.tally.started_blocked += 1;
            }
        }
        // A time-slicing holder's other cards get a larger slice.
        let holder = c.holder;
        if holder != NONE {
            self.reslice(holder as usize);
        }
    }

    /// A card's missing input arrives or its blocker clears: a card in clarification goes back
    /// to the backlog (ready this time), a blocked card may be worked again.
    pub(super) fn unblock(&mut self, slot: u32) {
        let c = &mut self.ws.cards[slot as usize];
        if !c.input_asked.is_nan() {
            if self.warmed_up {
                self.tally.inputs += 1;
                self.tally.input_wait_h += self.now - c.input_asked;
            }
            c.input_asked = f64::NAN;
        }
        match c.state {
            CardState::Clarify => {
                // The input arrived: back to the backlog, ready this time. The card waited
                // on its input all along: blocked time, as for a card blocked while held.
                c.blocked_h += self.now - c.block_since;
                if self.warmed_up {
                    self.tally.blocked_card_h += self.now - c.block_since.max(self.model.warmup_h);
                }
                c.state = CardState::Backlog;
                let expedite = c.class == ClassOfService::Expedite;
                self.n_clarify -= 1;
                self.n_backlog += 1;
                self.ws.backlog.push_front(slot);
                self.backlog_in_order = false;
                if expedite && self.policy.planned() {
                    // Clarified at planning: an expedite card goes into the plan at once.
                    self.force_into_plan(slot);
                }
            }
            _ if c.blocked => {
                c.blocked = false;
                c.blocked_h += self.now - c.block_since;
                if self.warmed_up {
                    self.tally.blocked_card_h += self.now - c.block_since.max(self.model.warmup_h);
                }
                // A time-slicing holder at work takes the card back among those they progress.
                let holder = c.holder;
                if holder != NONE {
                    self.reslice(holder as usize);
                }
            }
            _ => {}
        }
    }

    /// Daily chance of a blocking event for every card in progress.
    pub(super) fn draw_blockers(&mut self) {
        let Some(b) = &self.model.disruptions.blockers else {
            return;
        };
        let streams = self.streams;
        for s in 0..self.n_stages {
            let mut k = 0;
            while k < self.ws.doing[s].len() {
                let slot = self.ws.doing[s][k];
                k += 1;
                let c = &mut self.ws.cards[slot as usize];
                if c.blocked || c.rollback {
                    continue;
                }
                let id = c.id;
                let rng = c
                    .blocker_rng
                    .get_or_insert_with(|| streams.stream(StreamKind::Blockers, id));
                let u: f64 = rng.random();
                let d = b.duration.sample(rng);
                if u < b.chance_per_day {
                    if c.n_workers > 0 {
                        self.block(slot);
                    } else {
                        self.mark_blocked(slot);
                    }
                    self.ws
                        .queue
                        .push(self.now + d, Event::Unblock { card: slot });
                }
            }
        }
    }
}
