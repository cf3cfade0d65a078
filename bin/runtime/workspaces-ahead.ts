import { resolveSourceRepo, Workspace } from "../../sandbox/workspace.ts";
import type { Instance } from "./batch/instances.ts";

interface Ahead {
  /** Whether making it has begun: a run waits for a workspace under way, and makes its own otherwise. */
  begun: boolean;
  made: Promise<Workspace | undefined>;
}

/**
 * The workspaces of the instances a batch (or molt eval) takes next, made while those before run:
 * checking out a large repository is most of what an instance costs beyond its model and commands,
 * and this takes it off the batch's path. They are made in queue order, two at a time (a checkout
 * mostly waits on the disk). A workspace that could not be made is simply not there: the run makes
 * its own and reports what is wrong.
 */
export class WorkspacesAhead {
  readonly #ahead = new Map<string, Ahead>();
  readonly #repoOf: (instance: Instance) => Promise<string>;
  /** Two lanes, each making its workspaces one after another; a new one goes to the next lane in turn. */
  readonly #lanes: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
  #queued = 0;
  #closed = false;

  /** `repoOf` finds an instance's repository (cloning it into the cache if it must). */
  constructor(repoOf: (instance: Instance) => Promise<string>) {
    this.#repoOf = repoOf;
  }

  /** Queues these instances' workspaces to be made, after those already queued. */
  prepare(instances: Iterable<Instance>): void {
    for (const instance of instances) {
      const id = instance.instance_id;
      if (this.#closed || this.#ahead.has(id)) continue;
      const ahead: Ahead = { begun: false, made: Promise.resolve(undefined) };
      const lane = this.#queued++ % this.#lanes.length;
      ahead.made = this.#lanes[lane]!.then(() => {
        // Taken before its turn (the run made its own), or the batch is over.
        if (this.#closed || this.#ahead.get(id) !== ahead) return undefined;
        ahead.begun = true;
        return this.#make(instance);
      });
      this.#lanes[lane] = ahead.made;
      this.#ahead.set(id, ahead);
    }
  }

  /**
   * The workspace made for this instance, now the caller's to use or remove: undefined when none
   * was queued, when it could not be made, or when its turn had not come (it never will).
   */
  async take(instanceId: string): Promise<Workspace | undefined> {
    const ahead = this.#ahead.get(instanceId);
    this.#ahead.delete(instanceId);
    return ahead?.begun ? ahead.made : undefined;
  }

  /** Makes no more, and removes those no run took (the batch was stopped, or ended early). */
  async close(): Promise<void> {
    this.#closed = true;
    const left = [...this.#ahead.values()];
    this.#ahead.clear();
    await Promise.all(left.map(async (ahead) => (await ahead.made)?.remove()));
  }

  async #make(instance: Instance): Promise<Workspace | undefined> {
    try {
      const source = await resolveSourceRepo(await this.#repoOf(instance), instance.base_commit);
      return await Workspace.create(source);
    } catch {
      return undefined;
    }
  }
}
