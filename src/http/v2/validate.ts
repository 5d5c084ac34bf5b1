import type { JsonSchema } from "./schemas";

/**
 * Checks a value against the subset of JSON Schema the v2 schemas use (type, enum, pattern,
 * min/maxLength, items): the schema served is the schema enforced. Returns what is wrong, or null.
 */
export function schemaProblem(value: unknown, schema: JsonSchema, path: string): string | null {
	if (schema.type !== undefined) {
		const types = Array.isArray(schema.type) ? schema.type : [schema.type];
		if (!types.some((t) => hasType(value, t))) {
			return `${JSON.stringify(value) ?? "undefined"} is not of type ${types.map((t) => `'${t}'`).join(", ")} (${path})`;
		}
	}
	if (value === null) return null;
	if (schema.enum !== undefined && !schema.enum.includes(value as string)) {
		return `${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)} (${path})`;
	}
	if (typeof value === "string") {
		// Lengths count code points, as Python does.
		const length = [...value].length;
		if (schema.maxLength !== undefined && length > schema.maxLength) {
			return `${JSON.stringify(value)} is too long (${path})`;
		}
		if (schema.minLength !== undefined && length < schema.minLength) {
			return `${JSON.stringify(value)} is too short (${path})`;
		}
		if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
			return `${JSON.stringify(value)} does not match '${schema.pattern}' (${path})`;
		}
	}
	if (Array.isArray(value) && schema.items) {
		for (const [i, item] of value.entries()) {
			const problem = schemaProblem(item, schema.items, `${path}/${i}`);
			if (problem) return problem;
		}
	}
	return null;
}

function hasType(value: unknown, type: string): boolean {
	switch (type) {
		case "null":
			return value === null;
		case "string":
			return typeof value === "string";
		case "boolean":
			return typeof value === "boolean";
		case "integer":
			return typeof value === "number" && Number.isInteger(value);
		case "number":
			return typeof value === "number";
		case "array":
			return Array.isArray(value);
		case "object":
			return typeof value === "object" && value !== null && !Array.isArray(value);
		default:
			return true;
	}
}
