/**
 * The timeline follows new content as a chat does: while the user has not scrolled up, each render
 * scrolls to what it added (a recovery card, a question, the answer being written), never past the
 * top of the first new entry, so a card taller than the panel is read from its start (and a message
 * or question taller than the panel holds the view until it is read). Once the
 * user scrolls up, nothing moves under them: a "New below" button says that something arrived
 * and takes them to it. Scrolling back to the end follows again.
 */

/** The scroll box's geometry, in pixels (the DOM's scrollTop, clientHeight, scrollHeight). */
export interface Viewport {
  scrollTop: number;
  clientHeight: number;
  scrollHeight: number;
}

/** Within this many pixels of the end counts as at the end (rounding, a half line of slack). */
export const AT_END_SLACK = 24;
/** Space kept above a new entry scrolled to, so it does not touch the panel's top edge. */
const MARGIN = 8;

export function atEnd(v: Viewport): boolean {
  return v.scrollHeight - v.clientHeight - v.scrollTop <= AT_END_SLACK;
}

/**
 * The scrollTop that shows new content: the end, or the first new entry's top when the end would
 * scroll it out of view (`anchorTop`: its offset from the top of the scrolled content).
 */
export function followTo(v: Viewport, anchorTop?: number): number {
  const end = Math.max(0, v.scrollHeight - v.clientHeight);
  return anchorTop === undefined ? end : Math.max(0, Math.min(end, anchorTop - MARGIN));
}

/** Follows one scroll box (the timeline) and shows `newBelow` when content arrives out of sight. */
export class TimelineFollower {
  /** The user has not scrolled up since the last time they were at the end. */
  private following = true;
  /** The first entry added by the latest render that scrolled: growth after it keeps its top in view. */
  private anchor: HTMLElement | undefined;
  /** The first entry added while the user was scrolled up: where "New below" goes. */
  private unseen: HTMLElement | undefined;
  /** The scrollTop this class set last: its own scroll events are not the user's. */
  private setTop = -1;

  constructor(
    private readonly box: HTMLElement,
    private readonly newBelow: HTMLElement,
  ) {
    newBelow.hidden = true;
    box.addEventListener('scroll', () => this.onScroll());
  }

  /** After each render: `added` are the entries it created, in order; `restart` when another run replaced the timeline. */
  afterRender(added: HTMLElement[], restart: boolean): void {
    if (restart) {
      // Another run (or a reopened one): its latest state is at the end.
      this.following = true;
      this.anchor = undefined;
      this.hideNewBelow();
      this.scrollTo(followTo(this.viewport()));
      return;
    }
    if (!this.following) {
      if (added.length) this.markUnseen(added[0]);
      return;
    }
    if (this.anchor && !this.anchor.isConnected) this.anchor = undefined;
    if (added.length && this.anchor && isText(this.anchor) && !this.seenWhole(this.anchor)) {
      // A message or question taller than the panel, read from its top: what comes after it waits behind
      // "New below" rather than scrolling it away. (A run's card does not hold the view: the recovery card after it shows.)
      this.markUnseen(added[0]);
      return;
    }
    if (added.length) this.anchor = added[0];
    this.scrollTo(followTo(this.viewport(), this.anchor ? this.topOf(this.anchor) : undefined));
  }

  /** The user sent a message: they want to see it and the answer. */
  follow(): void {
    this.following = true;
    this.anchor = undefined;
    this.hideNewBelow();
  }

  /** "New below": to the first entry that arrived out of sight, and follow from there. */
  jumpToNew(): void {
    const target = this.unseen?.isConnected ? this.unseen : undefined;
    this.following = true;
    this.anchor = target;
    this.hideNewBelow();
    this.scrollTo(followTo(this.viewport(), target ? this.topOf(target) : undefined));
  }

  get isFollowing(): boolean {
    return this.following;
  }

  private onScroll(): void {
    if (Math.abs(this.box.scrollTop - this.setTop) <= 1) return; // this class's own scroll
    this.setTop = -1;
    this.following = atEnd(this.viewport());
    if (this.following) {
      this.anchor = undefined;
      this.hideNewBelow();
    }
  }

  private markUnseen(el: HTMLElement): void {
    if (this.unseen?.isConnected) return;
    this.unseen = el;
    this.newBelow.hidden = false;
  }

  /** The element's bottom is within the panel (its top was, when it became the anchor). */
  private seenWhole(el: HTMLElement): boolean {
    const v = this.viewport();
    return this.topOf(el) + el.getBoundingClientRect().height <= v.scrollTop + v.clientHeight + 1;
  }

  private hideNewBelow(): void {
    this.unseen = undefined;
    this.newBelow.hidden = true;
  }

  private scrollTo(top: number): void {
    if (Math.abs(this.box.scrollTop - top) <= 1) return;
    this.box.scrollTop = top;
    this.setTop = this.box.scrollTop;
  }

  private viewport(): Viewport {
    return { scrollTop: this.box.scrollTop, clientHeight: this.box.clientHeight, scrollHeight: this.box.scrollHeight };
  }

  /** An entry's offset from the top of the scrolled content. */
  private topOf(el: HTMLElement): number {
    return el.getBoundingClientRect().top - this.box.getBoundingClientRect().top + this.box.scrollTop;
  }
}

/** An entry the user reads line by line: the agent's message or its question (see view.ts wrapEntry's data-kind). */
function isText(el: HTMLElement): boolean {
  const kind = el.getAttribute('data-kind');
  return kind === 'assistant' || kind === 'ask';
}
