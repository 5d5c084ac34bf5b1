// The web console in a real browser: Debian's chromium driven by puppeteer-core against the
// `wrangler dev` the driver started. Skipped when no chromium is installed, unless
// REQUIRE_BROWSER=1 (CI), which turns the skip into a failure.
// CONSOLE_SCREENSHOTS=<dir> also saves screenshots of the main pages there (docs/console.md uses
// them: `CONSOLE_SCREENSHOTS=docs/console node test/e2e/run.mjs test/e2e/console.e2e.test.mjs`).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import zlib from "node:zlib";

const BASE = process.env.E2E_URL;
if (!BASE) throw new Error("E2E_URL is not set: run these tests with `npm run test:e2e`");
const TOKEN = process.env.E2E_DEMO_TOKEN ?? "dev-demo-token";
const ROOT = path.resolve(import.meta.dirname, "..", "..");
const SHOTS = process.env.CONSOLE_SCREENSHOTS
	? path.resolve(process.env.CONSOLE_SCREENSHOTS)
	: null;
const MiB = 1024 * 1024;

function findBrowser() {
	if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
	for (const name of ["chromium", "chromium-browser"]) {
		const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
		if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
	}
	return null;
}

const browserPath = findBrowser();
const required = process.env.REQUIRE_BROWSER === "1";
if (!browserPath && required) {
	throw new Error("REQUIRE_BROWSER=1 but chromium is not installed (apt-get install chromium)");
}

const sha256 = (data) => createHash("sha256").update(data).digest("hex");

async function apiCall(pathname, init = {}) {
	return fetch(`${BASE}${pathname}`, {
		...init,
		headers: { "X-Auth-Token": TOKEN, ...init.headers },
	});
}

async function register(name, disk, extra = {}) {
	const res = await apiCall("/v1/images", {
		method: "POST",
		headers: {
			"x-image-meta-name": name,
			"x-image-meta-disk_format": disk,
			"x-image-meta-container_format": "bare",
			...extra,
		},
	});
	assert.equal(res.status, 202);
	return (await res.json()).image;
}

/**
 * A real qcow2 (the 1 MiB-virtual fixture) padded with zeros past 11 MiB, so that with 5 MiB
 * parts the upload takes three parts.
 */
function makeQcow2(dir) {
	const image = zlib.gunzipSync(
		fs.readFileSync(path.join(ROOT, "test/fixtures/images/qcow2-v3.qcow2.gz")),
	);
	const data = Buffer.alloc(12 * MiB + 4321);
	image.copy(data);
	const file = path.join(dir, "console-e2e.qcow2");
	fs.writeFileSync(file, data);
	return { file, data };
}

describe("the web console", {
	skip: browserPath ? false : "chromium is not installed (apt-get install chromium)",
}, () => {
	let puppeteer;
	let browser;
	let page;
	let tmp;
	const run = randomUUID().slice(0, 8);
	const names = {
		alpha: `console-${run}-alpha`,
		beta: `console-${run}-beta`,
		gamma: `console-${run}-gamma`,
	};

	before(async () => {
		({ default: puppeteer } = await import("puppeteer-core"));
		tmp = fs.mkdtempSync(path.join(os.tmpdir(), "glance-edge-console-"));
		await register(names.alpha, "qcow2");
		await register(names.beta, "raw");
		await register(names.gamma, "iso", { "x-image-meta-property-os_distro": "debian" });
		browser = await puppeteer.launch({
			executablePath: browserPath,
			headless: true,
			// Root in a container has no user namespace for the sandbox.
			args: ["--no-sandbox", "--disable-dev-shm-usage", "--no-first-run", "--window-size=1280,900"],
			defaultViewport: { width: 1280, height: 900 },
			userDataDir: path.join(tmp, "profile"),
		});
		page = await browser.newPage();
		page.setDefaultTimeout(30_000);
	});

	after(async () => {
		await browser?.close();
		if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
	});

	async function shot(name) {
		if (!SHOTS) return;
		fs.mkdirSync(SHOTS, { recursive: true });
		await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
	}

	const text = (selector) => page.$eval(selector, (el) => el.textContent);
	const rowNames = () =>
		page.$$eval("table.images tbody tr td:first-child", (cells) => cells.map((c) => c.textContent));

	test("signs in with a token, lists, filters and opens an image", async () => {
		await page.goto(`${BASE}/console/`, { waitUntil: "domcontentloaded" });
		await page.waitForSelector("input#token[type=password]");
		await shot("sign-in");
		await page.type("#token", "not-a-token");
		await page.click("form[aria-labelledby=token-heading] button[type=submit]");
		await page.waitForSelector(".problem");
		assert.equal(await text(".problem"), "That token is not valid here.");

		await page.$eval("#token", (el) => {
			el.value = "";
		});
		await page.type("#token", TOKEN);
		await page.click("form[aria-labelledby=token-heading] button[type=submit]");
		await page.waitForSelector("table.images tbody tr");
		// The token is in sessionStorage, never in the URL.
		assert.ok(!page.url().includes(TOKEN));
		const rendered = await page.evaluate(
			() => performance.getEntriesByName("console:images-rendered")[0]?.startTime,
		);
		assert.ok(rendered > 0, `the list marks its first render (${rendered})`);

		await page.type("#f-name", names.beta);
		await page.waitForFunction(
			(name) => {
				const cells = [...document.querySelectorAll("table.images tbody tr td:first-child")];
				return cells.length === 1 && cells[0].textContent === name;
			},
			{},
			names.beta,
		);
		await page.$eval("#f-name", (el) => {
			el.value = "";
		});
		await page.type("#f-name", " ");
		await page.select("#f-format", "iso");
		await page.waitForFunction(
			(name) =>
				[...document.querySelectorAll("table.images tbody tr td:first-child")].some(
					(c) => c.textContent === name,
				) &&
				[...document.querySelectorAll("table.images tbody tr td:nth-child(4)")].every(
					(c) => c.textContent === "iso",
				),
			{},
			names.gamma,
		);
		await page.select("#f-format", "");
		await page.waitForFunction(
			(name) =>
				[...document.querySelectorAll("table.images tbody tr td:first-child")].some(
					(c) => c.textContent === name,
				),
			{},
			names.alpha,
		);
		assert.ok((await rowNames()).includes(names.beta));
		await shot("images");

		await page.click(`xpath/.//a[text()="${names.gamma}"]`);
		await page.waitForFunction(
			(name) => document.querySelector("h1")?.textContent === name,
			{},
			names.gamma,
		);
		assert.match(await text(".verdict"), /No data has been uploaded yet/);
		assert.match(await text("table.props"), /os_distro\s*debian/);
	});

	test("uploads a qcow2 in parts, resumes after a reload, and shows the verdict", async () => {
		const { file, data } = makeQcow2(tmp);
		await page.goto(`${BASE}/console/#/upload`, { waitUntil: "domcontentloaded" });
		const input = await page.waitForSelector("input[type=file]");
		await input.uploadFile(file);
		await page.waitForFunction(() => document.querySelector("select#u-disk").value === "qcow2");
		assert.equal(await page.$eval("select#u-container", (el) => el.value), "bare");
		await page.$eval("#u-name", (el) => {
			el.value = "";
		});
		await page.type("#u-name", `console-${run}-upload`);

		// Slow enough that the reload lands between parts.
		const cdp = await page.createCDPSession();
		await cdp.send("Network.enable");
		await cdp.send("Network.emulateNetworkConditions", {
			offline: false,
			latency: 0,
			downloadThroughput: -1,
			uploadThroughput: 4 * MiB,
		});
		const firstPart = page.waitForResponse(
			(res) => /\/upload-session\/parts\/\d+$/.test(res.url()) && res.status() === 200,
			{ timeout: 60_000 },
		);
		const [startButton] = await page.$$("xpath/.//button[text()='Upload…']");
		await startButton.click();
		await page.waitForFunction(() =>
			document.querySelector("#u-progress-text")?.textContent.includes("/s"),
		);
		await firstPart;
		await shot("upload");
		await page.reload({ waitUntil: "domcontentloaded" });

		await page.waitForSelector("ul.pending li");
		assert.match(await text("ul.pending"), /console-e2e\.qcow2/);
		const again = await page.waitForSelector("input[type=file]");
		await again.uploadFile(file);
		await page.waitForFunction(() => document.querySelector("#u-name").value.endsWith("-upload"));
		await cdp.send("Network.emulateNetworkConditions", {
			offline: false,
			latency: 0,
			downloadThroughput: -1,
			uploadThroughput: -1,
		});
		// A lost connection pauses the upload; it goes on by itself once the network is back.
		await page.setOfflineMode(true);
		const [resume] = await page.$$("xpath/.//button[text()='Upload…']");
		await resume.click();
		await page.waitForFunction(() =>
			document.querySelector("#u-phase")?.textContent.includes("Connection lost"),
		);
		await page.setOfflineMode(false);
		await page.waitForFunction(
			() => Number(document.querySelector("#u-phase")?.dataset.resumed) >= 1,
			{ timeout: 60_000 },
		);
		await page.waitForFunction(
			() => document.querySelector("#u-phase")?.textContent.startsWith("Done"),
			{
				timeout: 90_000,
			},
		);
		assert.match(await text(".verdict"), /it is a qcow2 image, as declared/);
		// 12 MiB in 5 MiB parts (SESSION_PART_BYTES in run.mjs): three requests, not one.
		assert.equal(await page.$eval("#u-phase", (el) => el.dataset.parts), "3");
		await shot("upload-done");

		await page.click("xpath/.//a[text()='Open the image']");
		await page.waitForSelector("section[aria-labelledby=fields-h]");
		const id = page.url().split("/").pop();
		const record = (
			await (await apiCall(`/v1/images/${id}`, { headers: { Accept: "application/json" } })).json()
		).image;
		assert.equal(record.status, "active");
		assert.equal(record.size, data.length);
		assert.equal(record.checksum, createHash("md5").update(data).digest("hex"));
		assert.equal(record.os_hash_value, createHash("sha512").update(data).digest("hex"));
		assert.match(await text(".fields"), new RegExp(record.os_hash_value));
		assert.match(await text(".fields"), /1\.0 MiB \(1,048,576 bytes\)/);

		// Edit a property.
		await page.click("xpath/.//button[text()='Add property']");
		await page.keyboard.type("os_distro");
		const valueInputs = await page.$$(".props-edit input.pv");
		await valueInputs.at(-1).type("cirros");
		await page.click("form.edit button[type=submit]");
		await page.waitForFunction(() =>
			document.querySelector("table.props")?.textContent.includes("cirros"),
		);
		const edited = (
			await (await apiCall(`/v1/images/${id}`, { headers: { Accept: "application/json" } })).json()
		).image;
		assert.deepEqual(edited.properties, { os_distro: "cirros" });

		// A refused change shows the server's words.
		await page.click("#e-public");
		await page.click("form.edit button[type=submit]");
		await page.waitForSelector("form.edit .problem");
		assert.doesNotMatch(await text("form.edit .problem"), /[{}]/);
		await page.click("#e-public");

		// Share it.
		await page.type("#m-id", "alt");
		await page.click("#m-share");
		await page.click("xpath/.//button[text()='Add member']");
		await page.waitForSelector("xpath/.//button[text()='Remove alt']");
		const members = await (await apiCall(`/v1/images/${id}/members`)).json();
		assert.deepEqual(members.members, [{ member_id: "alt", can_share: true }]);
		await shot("detail");

		// Download through a signed link and compare the bytes.
		const downloads = path.join(tmp, "downloads");
		fs.mkdirSync(downloads);
		await cdp.send("Browser.setDownloadBehavior", { behavior: "allow", downloadPath: downloads });
		await page.click("xpath/.//button[text()='Download']");
		let saved = null;
		for (let i = 0; i < 100 && !saved; i++) {
			await sleep(200);
			const done = fs.readdirSync(downloads).filter((f) => !f.endsWith(".crdownload"));
			if (done.length === 1 && fs.statSync(path.join(downloads, done[0])).size === data.length) {
				saved = path.join(downloads, done[0]);
			}
		}
		assert.ok(saved, "the download finished");
		assert.equal(sha256(fs.readFileSync(saved)), sha256(data));

		// Delete, with a confirmation.
		await page.click("xpath/.//button[text()='Delete…']");
		await page.waitForSelector("dialog[open]");
		await page.click("xpath/.//dialog//button[text()='Delete']");
		await page.waitForFunction(() => location.hash === "#/");
		const gone = await apiCall(`/v1/images/${id}`, { method: "HEAD" });
		assert.equal(gone.status, 404);
	});

	test("signs out and forgets the token", async () => {
		await page.click("xpath/.//button[text()='Sign out']");
		await page.waitForSelector("input#token[type=password]");
		assert.equal(await page.evaluate(() => sessionStorage.length), 0);
	});
});
