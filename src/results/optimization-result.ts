import { OperationError } from '../core/errors.ts';
import type { JsonObject } from '../core/json.ts';
import { ResultSet, type ResultSetJSON } from './result-set.ts';

/** A design variable of the problem. */
export interface DesignVariable {
  /** The variable's name (a column name in the result's sets). */
  name: string;
  /** Lower bound. */
  lower?: number;
  /** Upper bound. */
  upper?: number;
  /** What values it takes. */
  type?: 'continuous' | 'integer' | 'categorical';
  /** Anything else the solver records. */
  [extra: string]: unknown;
}

/** An objective of the problem. */
export interface Objective {
  /** The objective's name (a column name in the result's sets). */
  name: string;
  /** Which way is better (default `minimize`). */
  sense?: 'minimize' | 'maximize';
  /** Anything else the solver records. */
  [extra: string]: unknown;
}

/** A constraint of the problem. */
export interface Constraint {
  /** The constraint's name (a column name in the result's sets). */
  name: string;
  /** `inequality` (value <= bound) or `equality`. */
  kind?: 'inequality' | 'equality';
  /** The bound the value is compared with. */
  bound?: number;
  /** Anything else the solver records. */
  [extra: string]: unknown;
}

/** What problem a result solves. */
export interface ProblemDescription {
  /** Short name, e.g. `zdt1`. */
  name?: string;
  /** A sentence or two about it. */
  description?: string;
  /** Anything else worth keeping. */
  [extra: string]: unknown;
}

/** Fields of a result other than its sets. */
export interface OptimizationResultInit {
  /** The result's own id (not its storage key). */
  id: string;
  /** What problem it solves. */
  problem?: ProblemDescription;
  /** The design variables. */
  designVariables?: DesignVariable[];
  /** The objectives. */
  objectives?: Objective[];
  /** The constraints. */
  constraints?: Constraint[];
  /** Free-form metadata stored with the result (solver, seed, ...). */
  metadata?: JsonObject;
  /** The result sets (names must differ). */
  sets?: Iterable<ResultSet>;
}

/** The JSON form of an {@link OptimizationResult}: every field of its init filled in, and its sets as JSON. */
export interface OptimizationResultJSON extends Required<Omit<OptimizationResultInit, 'sets'>> {
  /** The sets, sorted by name. */
  sets: ResultSetJSON[];
}

/**
 * An optimisation result (OptiScope's OptimizationResult): the problem, its variables,
 * objectives and constraints, metadata, and named result sets.
 *
 * @example
 * ```ts
 * const result = new OptimizationResult({ id: 'exp-1', objectives: [{ name: 'f1' }] });
 * result.addSet(new ResultSet('pareto', { f1: new Float64Array([0.1, 0.2]) }));
 * ```
 */
export class OptimizationResult {
  /** The result's own id (not its storage key). */
  id: string;
  /** What problem it solves. */
  problem: ProblemDescription;
  /** The design variables. */
  designVariables: DesignVariable[];
  /** The objectives. */
  objectives: Objective[];
  /** The constraints. */
  constraints: Constraint[];
  /** Free-form metadata stored with the result. */
  metadata: JsonObject;
  readonly #sets = new Map<string, ResultSet>();

  constructor(init: OptimizationResultInit) {
    this.id = init.id;
    this.problem = init.problem ?? {};
    this.designVariables = init.designVariables ?? [];
    this.objectives = init.objectives ?? [];
    this.constraints = init.constraints ?? [];
    this.metadata = init.metadata ?? {};
    for (const set of init.sets ?? []) this.addSet(set);
  }

  /** Total number of points over all sets. */
  get nPoints(): number {
    let n = 0;
    for (const set of this.#sets.values()) n += set.nPoints;
    return n;
  }

  /** The sets, by name. */
  get sets(): ReadonlyMap<string, ResultSet> {
    return this.#sets;
  }

  /** Names of the sets, sorted. */
  listSets(): string[] {
    return [...this.#sets.keys()].sort();
  }

  /** Adds a set; replaces one of the same name when `replace` is true. */
  addSet(set: ResultSet, replace = false): void {
    if (this.#sets.has(set.name) && !replace)
      throw new OperationError(`Result '${this.id}' already has a set '${set.name}'`);
    this.#sets.set(set.name, set);
  }

  /** One set; throws when it does not exist. */
  getSet(name: string): ResultSet {
    const set = this.#sets.get(name);
    if (!set) throw new OperationError(`Result '${this.id}' has no set '${name}'`);
    return set;
  }

  /** Removes a set; `true` if it existed. */
  removeSet(name: string): boolean {
    return this.#sets.delete(name);
  }

  /** Renames a set. */
  renameSet(from: string, to: string): void {
    const set = this.getSet(from);
    if (this.#sets.has(to)) throw new OperationError(`Result '${this.id}' already has a set '${to}'`);
    this.#sets.delete(from);
    this.#sets.set(to, set.withName(to));
  }

  /** A plain JSON form. */
  toJSON(): OptimizationResultJSON {
    return { ...this.fieldsJSON(), sets: this.listSets().map((name) => this.getSet(name).toJSON()) };
  }

  /**
   * {@link toJSON} without the sets, and without the cost of converting them: a set of
   * millions of points is gigabytes as JSON.
   */
  fieldsJSON(): Omit<OptimizationResultJSON, 'sets'> {
    return {
      id: this.id,
      problem: this.problem,
      designVariables: this.designVariables,
      objectives: this.objectives,
      constraints: this.constraints,
      metadata: this.metadata,
    };
  }

  /** Rebuilds a result from {@link toJSON}'s output. */
  static fromJSON(json: OptimizationResultJSON): OptimizationResult {
    return new OptimizationResult({ ...json, sets: json.sets.map((s) => ResultSet.fromJSON(s)) });
  }
}
