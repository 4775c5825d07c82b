// Times: the server speaks ISO 8601 instants; the auditor reads and types China Standard Time (+08:00).

const CHINA_MS = 8 * 3600 * 1000;

/** "2026-03-12 17:05:09" in China time, from an ISO instant (or ms); "—" when absent. */
export function chinaTime(value) {
  if (value === null || value === undefined || value === "") return "—";
  const date = new Date(typeof value === "string" ? value : Number(value));
  if (Number.isNaN(date.getTime())) return String(value);
  return new Date(date.getTime() + CHINA_MS).toISOString().slice(0, 19).replace("T", " ");
}

/** The value of a datetime-local field ("2026-03-12T09:00[:ss]") as an ISO instant in China time. */
export function fromLocalInput(value) {
  if (!value) return null;
  return `${value.length === 16 ? `${value}:00` : value.slice(0, 19)}+08:00`;
}

/** An ISO instant as a datetime-local value in China time, to the second. */
export function toLocalInput(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Date(date.getTime() + CHINA_MS).toISOString().slice(0, 19);
}

/** The China-time hour an instant falls in: "03-12 17:00". */
export function chinaHour(iso) {
  const text = chinaTime(iso);
  return `${text.slice(5, 13)}:00`;
}

/** The China-time day an instant falls in: "2026-03-12". */
export function chinaDay(iso) {
  return chinaTime(iso).slice(0, 10);
}
