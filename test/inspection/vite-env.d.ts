// Vite's import.meta.glob, as the test runner provides it (vite/client is not in test types).
interface ImportMeta {
	glob<T>(
		pattern: string,
		options: { query: string; import: string; eager: true },
	): Record<string, T>;
}
