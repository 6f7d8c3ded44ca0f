// tus-js-client under node against the real server (tests/test_tus_clients.py runs it).
// Uploads FILE in two PATCHes, aborts it midway (mid-body, or between the chunks), asks the
// server where it stopped, resumes with a new Upload from the stored URL, and prints JSON:
// {"url": <tus upload URL>, "offsetAfterAbort": n, "fileUrl": <File-Url header>}.
import { readFileSync } from 'node:fs'
import { Upload } from 'tus-js-client'

const { TUS_ENDPOINT, TUS_TOKEN, FILE } = process.env
const data = readFileSync(FILE)
const headers = { token: TUS_TOKEN, 'User-Agent': 'nekosite-tests tus-js-client' }
const metadata = { filename: 'from-node.bin', filetype: 'application/octet-stream' }

function firstAttempt () {
  return new Promise((resolve, reject) => {
    let aborting = false
    const abort = (sent, total, why) => {
      if (aborting || sent >= total || !upload.url) return
      aborting = true
      console.error(`aborting at ${sent} of ${total} (${why})`)
      upload.abort().then(() => resolve(upload.url), reject)
    }
    const upload = new Upload(data, {
      endpoint: TUS_ENDPOINT,
      headers,
      metadata,
      retryDelays: null,
      // Two PATCHes of 24 MB: the abort lands inside the second body when node reports its
      // progress in time, and otherwise right after the first chunk (on a fast loopback the
      // whole body can be written before one progress event): either way the server holds
      // part of the file, never all of it.
      chunkSize: 24 * 1024 * 1024,
      onProgress (sent, total) {
        if (sent >= 28 * 1024 * 1024) abort(sent, total, 'mid-body')
      },
      onChunkComplete (chunkSize, accepted, total) { abort(accepted, total, 'after a chunk') },
      onSuccess () { reject(new Error('the upload finished before it could be aborted')) },
      onError: reject,
    })
    upload.start()
  })
}

function resume (url) {
  return new Promise((resolve, reject) => {
    const upload = new Upload(data, {
      endpoint: TUS_ENDPOINT,
      uploadUrl: url,
      headers,
      metadata,
      retryDelays: [500, 1000, 2000],
      onSuccess (payload) { resolve(payload.lastResponse.getHeader('File-Url')) },
      onError: reject,
    })
    upload.start()
  })
}

async function offsetOf (url) {
  // The aborted PATCH may still be finishing on the server: wait until it lets go.
  for (let attempt = 0; attempt < 50; attempt++) {
    const answer = await fetch(url, { method: 'HEAD', headers: { ...headers, 'Tus-Resumable': '1.0.0' } })
    if (answer.status === 200) return Number(answer.headers.get('Upload-Offset'))
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('HEAD never answered 200')
}

const url = await firstAttempt()
await new Promise((resolve) => setTimeout(resolve, 2000))
const offsetAfterAbort = await offsetOf(url)
const fileUrl = await resume(url)
console.log(JSON.stringify({ url, offsetAfterAbort, fileUrl }))
