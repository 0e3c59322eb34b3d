-- Media URLs and ETags carry a random tag of the photo rather than a digest of its original.
-- Anyone but the owner gets the original with its location blanked; a digest of the unblanked
-- bytes would let them test guesses of where the photo was taken until one matches.
ALTER TABLE photos ADD COLUMN tag TEXT NOT NULL DEFAULT '';
UPDATE photos SET tag = lower(hex(randomblob(8)));
-- A photo inserted without a tag (a restore from an older tool, a script) gets one all the
-- same: an empty tag would give every such photo the same URLs and ETags.
CREATE TRIGGER photos_tag AFTER INSERT ON photos WHEN NEW.tag = '' BEGIN
  UPDATE photos SET tag = lower(hex(randomblob(8))) WHERE id = NEW.id;
END;
