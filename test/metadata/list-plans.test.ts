import { env } from "cloudflare:workers";
import type { Identity } from "../../src/domain/identity";
import { parseListQuery } from "../../src/http/list-query";
import { parseV2ListQuery } from "../../src/http/v2/list-query";
import { listImages } from "../../src/metadata/d1-image-list";
import { listImagesV2 } from "../../src/metadata/d1-image-list-v2";

/**
 * The first page of a list in its default order must walk an index and stop at the limit. A
 * visibility test beside the membership EXISTS once let SQLite plan a multi-index OR instead,
 * which reads every shared image and sorts them all: a 1000-row page of 10 000 images cost 20×.
 * The plans are asked of D1 itself, for the SQL the list really sends.
 */

interface Sent {
	sql: string;
	values: unknown[];
}

/** A D1Database that records each statement it prepares with the values bound to it. */
function recording(db: D1Database): { db: D1Database; sent: Sent[] } {
	const sent: Sent[] = [];
	const wrap = (sql: string, statement: D1PreparedStatement): D1PreparedStatement =>
		new Proxy(statement, {
			get(target, key) {
				if (key === "bind") {
					return (...bound: unknown[]) => {
						sent.push({ sql, values: bound });
						return wrap(sql, target.bind(...bound));
					};
				}
				const value = Reflect.get(target, key);
				return typeof value === "function" ? value.bind(target) : value;
			},
		});
	const proxy = new Proxy(db, {
		get(target, key) {
			if (key === "prepare") return (sql: string) => wrap(sql, target.prepare(sql));
			const value = Reflect.get(target, key);
			return typeof value === "function" ? value.bind(target) : value;
		},
	});
	return { db: proxy, sent };
}

async function plansOf(sent: Sent[]): Promise<string[]> {
	const plans: string[] = [];
	for (const { sql, values } of sent) {
		const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
			.bind(...values)
			.all<{ detail: string }>();
		plans.push(results.map((r) => r.detail).join("\n"));
	}
	return plans;
}

const tenant: Identity = { tenant: "tenant-a", user: "u", roles: [], isAdmin: false };

function expectIndexWalk(plan: string) {
	expect(plan).not.toContain("MULTI-INDEX OR");
	expect(plan).not.toContain("TEMP B-TREE FOR ORDER BY");
	expect(plan).toMatch(/SCAN images USING INDEX images_created_id/);
}

describe("list query plans", () => {
	it("a tenant's v1 detail list walks the created_at index", async () => {
		const { db, sent } = recording(env.DB);
		await listImages(db, parseListQuery(new URLSearchParams("limit=1000")), tenant, true);
		const [plan] = await plansOf(sent);
		expectIndexWalk(plan);
	});

	it("a tenant's v1 brief list walks the created_at index", async () => {
		const { db, sent } = recording(env.DB);
		await listImages(db, parseListQuery(new URLSearchParams("")), tenant, false);
		const [plan] = await plansOf(sent);
		expectIndexWalk(plan);
	});

	it("a tenant's v2 list walks the created_at index", async () => {
		const { db, sent } = recording(env.DB);
		await listImagesV2(db, parseV2ListQuery(new URLSearchParams("limit=1000")), tenant);
		const [plan] = await plansOf(sent);
		expectIndexWalk(plan);
	});
});
