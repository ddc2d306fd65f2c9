import type { ApiSession } from '../../api-types.ts';

/** A select of the explorer's stores; calls `onPick` with the chosen store's id. */
export function StorePicker({
  session,
  store,
  onPick,
}: {
  session: ApiSession;
  store: number;
  onPick: (id: number) => void;
}) {
  if (session.stores.length < 2) return <span class="store-name">{session.stores[0]?.name}</span>;
  return (
    <label>
      Store{' '}
      <select
        data-testid="store-picker"
        value={store}
        onChange={(e) => onPick(Number((e.target as HTMLSelectElement).value))}
      >
        {session.stores.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </select>
    </label>
  );
}
