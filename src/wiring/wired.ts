// What wiring one part of the app gives back (wire-*.ts, infrastructure.ts): the part's face (what
// the routes and the parts wired after it call), what to close at shutdown, and its periodic jobs,
// which one scheduler runs (scheduler.ts).

/** A periodic piece of work: run every `everyMs`, never twice at once, stopped at shutdown. */
export interface Job {
  /** Names the job in the log line of a failed run. */
  name: string;
  /** Real time between the starts of two runs (not the injected clock: a test clock stands still). */
  everyMs: number;
  /** Runs once as soon as the scheduler starts too (work a crashed process left behind). */
  atStart?: boolean;
  run(): Promise<unknown>;
}

/** Releases what a part holds (a connection, a listener, work in flight); run in reverse wiring order. */
export type Closer = () => Promise<void>;

export interface Wired<Face> {
  face: Face;
  closers: Closer[];
  jobs: Job[];
}
