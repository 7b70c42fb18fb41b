// Package images reads, resizes, converts and writes the pictures of a
// style transfer.
//
// A run of estil goes through this package at both ends: [Load] decodes the
// content and style pictures (JPEG, PNG, WebP or GIF) with a guard against
// decompression bombs, [Resize] brings them to the working size,
// [ToHWC] turns them into the float32 slices the model consumes, [FromHWC]
// turns the result back into a picture, [OriginalColors] or, after a
// luminance-only transfer on [Luminance] and [MatchLuminance]'s pictures,
// [PutChroma] optionally restores the colors of the content picture, and [SavePNG] writes the result without
// ever leaving a half-written file behind. [CheckWritable] lets a command
// fail on a bad output path before spending minutes of compute.
//
// [Lighthouse] and [Swirls] draw a content scene and a style texture in code,
// so that estil can be tried without any picture at hand.
//
// Errors name the file and say what is wrong and what to do about it, in one
// line, so that a command can print them as they are.
package images
