import type { MiddlewareHandler } from "hono";
import * as v from "valibot";
import type { AppEnv } from "../app-env";
import { MAX_JSON_BODY_BYTES } from "../domain/glance-rules";
import { invalid, type Refusal } from "../domain/refusal";
import { readJsonBody } from "./json-body";

/** Turns the first issue of a failed parse into what the client is told. */
export type IssueRefusal = (issue: v.BaseIssue<unknown>) => Refusal;

/**
 * The usual refusal: the issue's message, naming the field by its schema path (e.g. "min_disk");
 * the error renderer spells it the way the client sent it.
 */
export const refuseIssue: IssueRefusal = (issue) => {
	const path = v.getDotPath(issue);
	if (path === null) return invalid(issue.message);
	// strictObject reports an unexpected key as an issue expecting `never` at that key.
	if (issue.expected === "never") return invalid(`Unknown field '${path}'`, path);
	return invalid(issue.message, path);
};

/** Runs a valibot schema and throws the refusal of its first issue. */
export function parseOrThrow<TSchema extends v.GenericSchema>(
	schema: TSchema,
	input: unknown,
): v.InferOutput<TSchema> {
	const result = v.safeParse(schema, input);
	if (result.success) return result.output;
	throw refuseIssue(result.issues[0]);
}

type JsonInput<TSchema extends v.GenericSchema> = {
	in: { json: v.InferInput<TSchema> };
	out: { json: v.InferOutput<TSchema> };
};

/**
 * Validates a route's JSON body with a valibot schema; the handler reads the output with
 * `c.req.valid("json")`. Not Hono's `validator("json")`: that one reads a body only when it is
 * labelled JSON and has no size limit, where these routes read any body up to
 * MAX_JSON_BODY_BYTES (413 beyond) with our messages for an empty or malformed one.
 */
export function validJson<TSchema extends v.GenericSchema>(
	schema: TSchema,
	refuse: IssueRefusal = refuseIssue,
): MiddlewareHandler<AppEnv, string, JsonInput<TSchema>> {
	return async function validateJson(c, next) {
		const result = v.safeParse(schema, await readJsonBody(c.req.raw, MAX_JSON_BODY_BYTES));
		if (!result.success) throw refuse(result.issues[0]);
		c.req.addValidatedData("json", result.output as object);
		await next();
	};
}
