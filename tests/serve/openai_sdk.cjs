// SPDX-License-Identifier: Apache-2.0
// Copyright (C) 2026 The p11tee authors
// The official OpenAI Node SDK against p11tee serve, unchanged: the gateway's
// base URL is all an application changes. Prints TAP. Environment: OPENAI_MODULE
// (the installed package), SV_URL, E2EE_MODEL, THINK_MODEL, REFSERVER_PORT and
// REFSERVER_API_KEY (to switch a fault on), ANSWER_* (what the model answers).
'use strict';
const OpenAI = require(process.env.OPENAI_MODULE);

let n = 0;
let failures = 0;
function ok(cond, desc, diag) {
    n++;
    if (cond) {
        console.log(`ok ${n} - ${desc}`);
    } else {
        failures++;
        console.log(`not ok ${n} - ${desc}`);
        if (diag !== undefined) console.log(`# ${String(diag).replace(/\n/g, '\n# ')}`);
    }
}

async function control(body) {
    const r = await fetch(`http://127.0.0.1:${process.env.REFSERVER_PORT}/__control`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${process.env.REFSERVER_API_KEY}` },
        body: JSON.stringify(body),
    });
    if (r.status !== 200) throw new Error(`control: HTTP ${r.status}`);
}

async function expectError(promise) {
    try {
        await promise;
    } catch (e) {
        return e;
    }
    return null;
}

async function main() {
    const client = new OpenAI({ baseURL: `${process.env.SV_URL}/v1`, apiKey: 'local', maxRetries: 0 });
    const e2ee = process.env.E2EE_MODEL;

    const models = await client.models.list();
    const ids = models.data.map((m) => m.id).sort();
    ok(ids.join(' ') === [e2ee, process.env.THINK_MODEL].sort().join(' '), 'models.list(): the E2EE models',
        ids.join(' '));
    ok(models.data.every((m) => m.object === 'model' && m.p11tee.mode === 'e2ee'), 'models.list(): each with its mode');

    const { data: done, response } = await client.chat.completions
        .create({ model: e2ee, messages: [{ role: 'user', content: 'sdk hello' }] })
        .withResponse();
    ok(done.object === 'chat.completion' && done.choices[0].message.content === process.env.ANSWER_HELLO,
        'create(): one chat.completion with the decrypted answer', JSON.stringify(done));
    ok(done.usage && done.usage.total_tokens === 10, 'create(): usage passed through', JSON.stringify(done.usage));
    ok(/^verdict=pass; id=[0-9a-f]{64}; model-key=sha256:[0-9a-f]{64}$/.test(response.headers.get('x-p11tee-attestation')),
        'create(): X-P11tee-Attestation', response.headers.get('x-p11tee-attestation'));
    ok(response.headers.get('x-p11tee-e2ee') === '1', 'create(): X-P11tee-E2EE: 1');

    const stream = await client.chat.completions.create({
        model: e2ee, stream: true, messages: [{ role: 'user', content: 'sdk stream' }],
    });
    let text = '';
    let chunks = 0;
    let finish = null;
    for await (const chunk of stream) {
        chunks++;
        if (chunk.choices.length) {
            text += chunk.choices[0].delta.content || '';
            finish = chunk.choices[0].finish_reason || finish;
        }
    }
    ok(text === process.env.ANSWER_STREAM && finish === 'stop', 'create({stream: true}): the text as it streams',
        `${JSON.stringify(text)} finish ${finish} in ${chunks} chunks`);

    const helper = client.chat.completions.stream({
        model: process.env.THINK_MODEL, messages: [{ role: 'user', content: 'sdk think' }],
    });
    const final = await helper.finalChatCompletion();
    ok(final.choices[0].message.content === process.env.ANSWER_THINK, 'stream() helper: finalChatCompletion()',
        JSON.stringify(final.choices[0].message));

    // Multi-turn: the SDK's own message object goes back as history.
    const turn2 = await client.chat.completions.create({
        model: e2ee,
        messages: [{ role: 'user', content: 'sdk hello' }, done.choices[0].message,
            { role: 'user', content: 'again' }],
    });
    ok(turn2.choices[0].message.content === process.env.ANSWER_AGAIN && turn2.usage.prompt_tokens === 6,
        'multi-turn with the assistant history', JSON.stringify(turn2));

    let e = await expectError(client.chat.completions.create({
        model: e2ee, messages: [{ role: 'user', content: 'x' }],
        tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
    }));
    ok(e instanceof OpenAI.APIError && e.status === 400 && e.param === 'tools' && e.code === 'e2ee_unsupported',
        'tools: an APIError 400 naming the parameter', e && `${e.constructor.name} ${e.status} ${e.param} ${e.code} ${e.message}`);
    e = await expectError(client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }));
    ok(e instanceof OpenAI.NotFoundError, 'unknown model: NotFoundError', e && `${e.constructor.name} ${e.message}`);

    // A failure after text was sent: an error event the SDK raises as APIError.
    await control({ set_faults: ['tamper-ciphertext'] });
    let seen = '';
    e = await expectError((async () => {
        const s = await client.chat.completions.create({
            model: e2ee, stream: true, messages: [{ role: 'user', content: 'sdk tampered' }],
        });
        for await (const chunk of s) seen += chunk.choices.length ? chunk.choices[0].delta.content || '' : '';
    })());
    await control({ clear_faults: true });
    ok(e instanceof OpenAI.APIError && /e2ee|envelope|authenticat/i.test(e.message),
        'tampered stream: the SDK raises APIError', e && `${e.constructor.name} ${e.message}`);
    ok(process.env.ANSWER_TAMPERED.startsWith(seen) && seen.length < process.env.ANSWER_TAMPERED.length,
        'tampered stream: only the verified text before the fault', JSON.stringify(seen));

    console.log(`1..${n}`);
    process.exitCode = failures ? 1 : 0;
}

main().catch((err) => {
    console.log(`not ok ${n + 1} - the SDK run threw: ${err && err.stack}`);
    console.log(`1..${n + 1}`);
    process.exitCode = 1;
});
