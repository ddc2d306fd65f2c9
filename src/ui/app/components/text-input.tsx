/** A labelled text input that reports its text as it is typed. */
export function TextInput({
  label,
  value,
  onInput,
  placeholder,
  size,
  testId,
}: {
  label: string;
  value: string;
  onInput: (value: string) => void;
  placeholder?: string;
  size?: number;
  testId?: string;
}) {
  return (
    <label>
      {label}{' '}
      <input
        data-testid={testId}
        size={size}
        value={value}
        placeholder={placeholder}
        onInput={(e) => onInput((e.target as HTMLInputElement).value)}
      />
    </label>
  );
}
